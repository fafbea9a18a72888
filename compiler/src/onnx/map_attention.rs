//! ONNX RotaryEmbedding → `Op::RotaryEmbedding` (same inputs), and ONNX Attention (opset 23) → `Op::Attention`: 3-D inputs are split into heads
//! (reshape + transpose) and merged back; KV cache inputs/outputs, nonpad_kv_seqlen and
//! qk_matmul outputs are not supported.

use super::map::{Cx, Outs};
use super::ImportError;
use ir::{AttentionAttrs, Op, ValueId, F32};

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    match op {
        "Attention" => Some(attention(cx)),
        "RotaryEmbedding" => Some(rotary(cx)),
        _ => None,
    }
}

fn attention(cx: &mut Cx) -> Outs {
    let n = cx.n;
    if (4..cx.num_inputs()).any(|i| cx.input(i).is_some()) {
        return Err(n.unsupported("past_key / past_value / nonpad_kv_seqlen inputs"));
    }
    if (1..4).any(|i| n.has_output(i)) {
        return Err(n.unsupported("present_key / present_value / qk_matmul_output outputs"));
    }
    if n.int_or("qk_matmul_output_mode", 0)? != 0 {
        return Err(n.unsupported("qk_matmul_output_mode other than 0"));
    }
    let causal = n.flag("is_causal", false)?;
    let scale = n.float("scale")?.map(F32);
    let softcap = F32(n.float_or("softcap", 0.0)?);
    let (q, k, v) = (cx.req(0, "Q")?, cx.req(1, "K")?, cx.req(2, "V")?);
    let mask = cx.input(3);
    let rank = cx.rank(q)?;
    let (q4, k4, v4) = match rank {
        4 => (q, k, v),
        3 => {
            let hq = heads(cx, "q_num_heads")?;
            let hkv = heads(cx, "kv_num_heads")?;
            (
                split_heads(cx, q, hq)?,
                split_heads(cx, k, hkv)?,
                split_heads(cx, v, hkv)?,
            )
        }
        r => return Err(n.invalid(format!("Q must be 3-D or 4-D, got rank {r}"))),
    };
    let (qt, kt) = (cx.ty(q4)?, cx.ty(k4)?);
    let q_seq = qt.dims.get(2).and_then(|d| d.as_static());
    let kv_seq = kt.dims.get(2).and_then(|d| d.as_static());
    // ONNX aligns the causal mask to the top left (without past), the IR to the bottom right:
    // they agree only for square score matrices.
    if causal && (q_seq.is_none() || q_seq != kv_seq) {
        return Err(
            n.unsupported("is_causal with query and key sequence lengths not statically equal")
        );
    }
    if let Some(m) = mask {
        // ONNX pads a shorter mask with -inf; the IR only broadcasts.
        let mt = cx.ty(m)?;
        let last = mt.dims.last().and_then(|d| d.as_static());
        if last.is_none() || last != kv_seq {
            return Err(n.unsupported(format!(
                "attn_mask {mt} whose last dim is not statically the kv length"
            )));
        }
    }
    let op = Op::Attention(AttentionAttrs {
        scale,
        causal,
        softcap,
    });
    let ins = [Some(q4), Some(k4), Some(v4), mask];
    if rank == 4 {
        return Ok(vec![cx.main1(op, &ins)?]);
    }
    let y = cx.aux1(op, &ins)?;
    let perm = Op::Transpose {
        perm: vec![0, 2, 1, 3],
    };
    let yt = cx.aux1(perm, &[Some(y)])?;
    let shape = cx.i64s("merged_shape", &[0, 0, -1]);
    Ok(vec![cx.main1(
        Op::Reshape { allowzero: false },
        &[Some(yt), Some(shape)],
    )?])
}

fn heads(cx: &Cx, attr: &str) -> Result<i64, ImportError> {
    match cx.n.int(attr)? {
        Some(h) if h > 0 => Ok(h),
        _ => Err(cx
            .n
            .invalid(format!("3-D inputs need a positive `{attr}` attribute"))),
    }
}

/// [batch, seq, heads * size] → [batch, heads, seq, size].
fn split_heads(cx: &mut Cx, x: ValueId, heads: i64) -> Result<ValueId, ImportError> {
    let shape = cx.i64s("split_shape", &[0, 0, heads, -1]);
    let r = cx.aux1(Op::Reshape { allowzero: false }, &[Some(x), Some(shape)])?;
    cx.aux1(
        Op::Transpose {
            perm: vec![0, 2, 1, 3],
        },
        &[Some(r)],
    )
}

fn rotary(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let ins = cx.inputs_upto(4)?;
    cx.req(0, "X")?;
    cx.req(1, "cos_cache")?;
    cx.req(2, "sin_cache")?;
    let interleaved = n.flag("interleaved", false)?;
    let rotary_dim = n.usize_or("rotary_embedding_dim", 0)?;
    let num_heads = n.usize_or("num_heads", 0)?;
    Ok(vec![cx.main1(
        Op::RotaryEmbedding {
            interleaved,
            rotary_dim,
            num_heads,
        },
        &ins,
    )?])
}
