//! The C program `edgec run` links against a compiled model: it reads raw input files, calls
//! `<name>_run` once and writes raw outputs (`edgec bench` has its own timing harness).

use codegen::Manifest;

pub fn source(m: &Manifest) -> String {
    let n = &m.name;
    let up = n.to_uppercase();
    format!(
        r#"/* edgec test harness for {n} (generated). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "{n}.h"

static const size_t in_bytes[] = {{{in_bytes}}};
static const size_t out_bytes[] = {{{out_bytes}}};

static void *xalloc(size_t n) {{
  void *p = aligned_alloc(64, (n + 63) / 64 * 64 + 64);
  if (!p) {{ fprintf(stderr, "out of memory\n"); exit(4); }}
  return p;
}}

/* usage: harness IN... OUT... */
int main(int argc, char **argv) {{
  const int ni = EDGEC_{up}_NUM_INPUTS, no = EDGEC_{up}_NUM_OUTPUTS;
  if (argc != 1 + ni + no) {{
    fprintf(stderr, "usage: %s IN*%d OUT*%d\n", argv[0], ni, no);
    return 2;
  }}
  const void *ins[{ni1}];
  void *outs[{no1}];
  for (int i = 0; i < ni; i++) {{
    void *p = xalloc(in_bytes[i]);
    FILE *f = fopen(argv[1 + i], "rb");
    if (!f) {{ perror(argv[1 + i]); return 2; }}
    size_t got = fread(p, 1, in_bytes[i], f);
    int extra = fgetc(f);
    fclose(f);
    if (got != in_bytes[i] || extra != EOF) {{
      fprintf(stderr, "%s: expected %zu bytes\n", argv[1 + i], in_bytes[i]);
      return 2;
    }}
    ins[i] = p;
  }}
  for (int i = 0; i < no; i++) outs[i] = xalloc(out_bytes[i]);
  void *ws = xalloc({n}_workspace_size());
  int rc = {n}_run(ins, outs, ws);
  if (rc) {{ fprintf(stderr, "{n}_run returned %d\n", rc); return 3; }}
  for (int i = 0; i < no; i++) {{
    FILE *f = fopen(argv[1 + ni + i], "wb");
    if (!f || fwrite(outs[i], 1, out_bytes[i], f) != out_bytes[i]) {{ perror(argv[1 + ni + i]); return 2; }}
    fclose(f);
  }}
  return 0;
}}
"#,
        in_bytes = list(m.inputs.iter().map(|t| t.bytes)),
        out_bytes = list(m.outputs.iter().map(|t| t.bytes)),
        ni1 = m.inputs.len().max(1),
        no1 = m.outputs.len().max(1),
    )
}

fn list(it: impl Iterator<Item = usize>) -> String {
    let v: Vec<String> = it.map(|b| b.to_string()).collect();
    if v.is_empty() {
        "0".into()
    } else {
        v.join(", ")
    }
}
