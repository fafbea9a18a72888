//! A static library (`lib<name>.a`) holding one object: the GNU ar format with a symbol index
//! (`/` member) so GNU ld and lld can link it without running ranlib. Written here because the
//! format is tiny and the `ar` crate writes no symbol index.

/// Build an archive containing `object` as `member`, indexing `symbols` (all defined in it).
pub fn archive(member: &str, object: &[u8], symbols: &[String]) -> Vec<u8> {
    fn header(name: &str, size: usize) -> Vec<u8> {
        // name[16] date[12] uid[6] gid[6] mode[8] size[10] "`\n"
        format!("{name:<16}{:<12}{:<6}{:<6}{:<8}{size:<10}`\n", 0, 0, 0, 644).into_bytes()
    }
    let mut index = Vec::new();
    index.extend_from_slice(&(symbols.len() as u32).to_be_bytes());
    let names: Vec<u8> = symbols.iter().flat_map(|s| s.bytes().chain(std::iter::once(0))).collect();
    let index_len = 4 + 4 * symbols.len() + names.len();
    let index_padded = index_len + index_len % 2;
    // The object member starts after the magic, the index header and the padded index.
    let obj_offset = 8 + 60 + index_padded;
    for _ in symbols {
        index.extend_from_slice(&(obj_offset as u32).to_be_bytes());
    }
    index.extend_from_slice(&names);
    let mut out = b"!<arch>\n".to_vec();
    out.extend(header("/", index_len));
    out.extend(&index);
    if index_len % 2 == 1 {
        out.push(b'\n');
    }
    let short = format!("{member}/");
    out.extend(header(&short, object.len()));
    out.extend_from_slice(object);
    if object.len() % 2 == 1 {
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_has_magic_index_and_member() {
        let a = archive("m.o", b"OBJ", &["f".into(), "gh".into()]);
        assert!(a.starts_with(b"!<arch>\n/               "));
        // Index: count 2, two offsets, "f\0gh\0" = 4 + 8 + 5 = 17 bytes, padded to 18.
        assert_eq!(&a[8 + 48..8 + 58], b"17        ");
        let member = 8 + 60 + 18;
        assert_eq!(&a[member..member + 4], b"m.o/");
        assert_eq!(u32::from_be_bytes(a[68 + 4..68 + 8].try_into().unwrap()) as usize, member);
        assert_eq!(&a[member + 60..member + 63], b"OBJ");
    }
}
