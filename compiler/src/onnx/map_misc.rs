//! ONNX ops that are not computations of their own or need special forms: Constant, Identity
//! and Dropout (rewired), QuantizeLinear/DequantizeLinear, Resize (all versions) and Upsample,
//! GridSample.

use super::map::{Cx, Outs};
use super::tensor::{dtype_from_onnx, sparse_to_dense, tensor_from_proto};
use super::ImportError;
use ir::{CoordTransform, DType, GridPadding, KeepAspect, NearestMode, Op, ResizeAttrs, ResizeMode, Tensor, ValueId, F32};
use std::sync::Arc;

pub fn map(cx: &mut Cx, op: &str) -> Option<Outs> {
    dispatch(cx, op).transpose()
}

fn dispatch(cx: &mut Cx, op: &str) -> Result<Option<Vec<ValueId>>, ImportError> {
    let n = cx.n;
    let outs = match op {
        "Constant" => {
            let t = constant_value(cx)?;
            Ok(vec![cx.main_const(t)])
        }
        "Identity" => Ok(vec![cx.req(0, "input")?]),
        "Dropout" => dropout(cx),
        "QuantizeLinear" => {
            let ins = cx.inputs_upto(3)?;
            let (x, scale) = (cx.req(0, "x")?, cx.req(1, "y_scale")?);
            let attr = output_dtype(cx)?;
            let to = match (ins[2], attr) {
                (Some(zp), a) => {
                    let d = cx.dtype(zp)?;
                    if a.is_some_and(|a| a != d) {
                        return Err(n.invalid(format!("output_dtype {} disagrees with the zero point's type {d}", a.unwrap_or(d))));
                    }
                    d
                }
                (None, Some(a)) => a,
                (None, None) => DType::U8,
            };
            let op = Op::QuantizeLinear {
                axis: n.int_or("axis", 1)?,
                block_size: n.usize_or("block_size", 0)?,
                to,
                saturate: n.flag("saturate", true)?,
            };
            Ok(vec![cx.main1(op, &[Some(x), Some(scale), ins[2]])?])
        }
        "DequantizeLinear" => {
            let ins = cx.inputs_upto(3)?;
            let (x, scale) = (cx.req(0, "x")?, cx.req(1, "x_scale")?);
            let op = Op::DequantizeLinear {
                axis: n.int_or("axis", 1)?,
                block_size: n.usize_or("block_size", 0)?,
                to: output_dtype(cx)?,
            };
            Ok(vec![cx.main1(op, &[Some(x), Some(scale), ins[2]])?])
        }
        "Resize" => resize(cx),
        "Upsample" => upsample(cx),
        "GridSample" => {
            let ins = [Some(cx.req(0, "X")?), Some(cx.req(1, "grid")?)];
            let mode = match n.string_or("mode", if cx.opset() < 20 { "bilinear" } else { "linear" })?.as_str() {
                "bilinear" | "linear" => ResizeMode::Linear,
                "nearest" => ResizeMode::Nearest,
                "bicubic" | "cubic" => ResizeMode::Cubic,
                m => return Err(n.invalid(format!("unknown mode `{m}`"))),
            };
            let padding = match n.string_or("padding_mode", "zeros")?.as_str() {
                "zeros" => GridPadding::Zeros,
                "border" => GridPadding::Border,
                "reflection" => GridPadding::Reflection,
                m => return Err(n.invalid(format!("unknown padding_mode `{m}`"))),
            };
            let op = Op::GridSample { mode, padding, align_corners: n.flag("align_corners", false)? };
            Ok(vec![cx.main1(op, &ins)?])
        }
        _ => return Ok(None),
    };
    Ok(Some(outs?))
}

fn output_dtype(cx: &Cx) -> Result<Option<DType>, ImportError> {
    match cx.n.int_or("output_dtype", 0)? {
        0 => Ok(None),
        code => i32::try_from(code)
            .ok()
            .and_then(dtype_from_onnx)
            .map(Some)
            .ok_or_else(|| cx.n.invalid(format!("attribute `output_dtype` = {code} is not an element type"))),
    }
}

/// The value of a Constant node from whichever `value*` attribute it has.
fn constant_value(cx: &Cx) -> Result<Tensor, ImportError> {
    let n = cx.n;
    let what = format!("{}.value", n.label);
    let set: Vec<&str> = n.proto.attribute.iter().map(|a| a.name.as_str()).collect();
    if set.len() != 1 {
        return Err(n.invalid(format!("needs exactly one value attribute, has {set:?}")));
    }
    let t = match set[0] {
        "value" => {
            let t = n.tensor("value")?.ok_or_else(|| n.invalid("attribute `value` holds no tensor"))?;
            tensor_from_proto(t, &what, cx.b.src)?
        }
        "sparse_value" => {
            let a = n.attr("sparse_value").and_then(|a| a.sparse_tensor.as_ref());
            let s = a.ok_or_else(|| n.invalid("attribute `sparse_value` holds no sparse tensor"))?;
            sparse_to_dense(s, &what, cx.b.src)?
        }
        "value_float" => Tensor::scalar(n.float_or("value_float", 0.0)?),
        "value_int" => Tensor::scalar(n.int_or("value_int", 0)?),
        "value_floats" => {
            let v = n.floats("value_floats")?.unwrap_or(&[]).to_vec();
            Tensor::from_vec(&[v.len()], v).map_err(|e| n.invalid(e))?
        }
        "value_ints" => {
            let v = n.ints("value_ints")?.unwrap_or(&[]).to_vec();
            Tensor::from_vec(&[v.len()], v).map_err(|e| n.invalid(e))?
        }
        "value_string" | "value_strings" => return Err(n.unsupported("string constants are not supported")),
        other => return Err(n.invalid(format!("unknown attribute `{other}`"))),
    };
    Ok(t)
}

/// Dropout in inference is the identity; its mask (when used) is all true.
fn dropout(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "data")?;
    if let Some(tm) = cx.input(2) {
        let training = match cx.const_of(tm) {
            Some(t) if t.len() == 1 => t.to_f64_vec().first().is_some_and(|&v| v != 0.0),
            _ => return Err(n.unsupported("a training_mode input that is not a constant is not supported")),
        };
        if training {
            let ratio_zero = match cx.input(1) {
                None => false,
                Some(r) => cx.const_of(r).is_some_and(|t| t.to_f64_vec().iter().all(|&v| v == 0.0)),
            };
            if !ratio_zero {
                return Err(n.unsupported("training-mode dropout (random) is not supported"));
            }
        }
    }
    if !n.has_output(1) {
        return Ok(vec![x]);
    }
    // The mask is bool from opset 10, the input's type before.
    let value = if cx.opset() >= 10 {
        Tensor::scalar(true)
    } else {
        let dt = cx.dtype(x)?;
        Tensor::full(dt, &[], 1.0).map_err(|e| n.unsupported(e))?
    };
    let shape = cx.aux1(Op::Shape { start: 0, end: None }, &[Some(x)])?;
    let mask = cx.main1(Op::ConstantOfShape { value: Arc::new(value) }, &[Some(shape)])?;
    Ok(vec![x, mask])
}

fn resize(cx: &mut Cx) -> Outs {
    let n = cx.n;
    let x = cx.req(0, "X")?;
    let mode = resize_mode(cx)?;
    if cx.opset() < 11 {
        // Resize-10: (X, scales), Upsample semantics.
        let scales = cx.req(1, "scales")?;
        cx.inputs_upto(2)?;
        return Ok(vec![cx.main1(Op::Resize(v10_attrs(mode)), &[Some(x), None, Some(scales), None])?]);
    }
    let ins = cx.inputs_upto(4)?;
    let coord = match n.string_or("coordinate_transformation_mode", "half_pixel")?.as_str() {
        "half_pixel" => CoordTransform::HalfPixel,
        "half_pixel_symmetric" => CoordTransform::HalfPixelSymmetric,
        "pytorch_half_pixel" => CoordTransform::PytorchHalfPixel,
        "align_corners" => CoordTransform::AlignCorners,
        "asymmetric" => CoordTransform::Asymmetric,
        "tf_crop_and_resize" => CoordTransform::TfCropAndResize,
        "tf_half_pixel_for_nn" => return Err(n.unsupported("coordinate_transformation_mode `tf_half_pixel_for_nn`")),
        m => return Err(n.invalid(format!("unknown coordinate_transformation_mode `{m}`"))),
    };
    let nearest = match n.string_or("nearest_mode", "round_prefer_floor")?.as_str() {
        "round_prefer_floor" => NearestMode::RoundPreferFloor,
        "round_prefer_ceil" => NearestMode::RoundPreferCeil,
        "floor" => NearestMode::Floor,
        "ceil" => NearestMode::Ceil,
        m => return Err(n.invalid(format!("unknown nearest_mode `{m}`"))),
    };
    let keep_aspect = match n.string_or("keep_aspect_ratio_policy", "stretch")?.as_str() {
        "stretch" => KeepAspect::Stretch,
        "not_larger" => KeepAspect::NotLarger,
        "not_smaller" => KeepAspect::NotSmaller,
        m => return Err(n.invalid(format!("unknown keep_aspect_ratio_policy `{m}`"))),
    };
    let attrs = ResizeAttrs {
        mode,
        coord,
        nearest,
        cubic_coeff_a: F32(n.float_or("cubic_coeff_a", -0.75)?),
        exclude_outside: n.flag("exclude_outside", false)?,
        extrapolation_value: F32(n.float_or("extrapolation_value", 0.0)?),
        antialias: n.flag("antialias", false)?,
        keep_aspect,
        axes: n.ints("axes")?.map(|a| a.to_vec()),
    };
    Ok(vec![cx.main1(Op::Resize(attrs), &[Some(x), ins[1], ins[2], ins[3]])?])
}

fn resize_mode(cx: &Cx) -> Result<ResizeMode, ImportError> {
    Ok(match cx.n.string_or("mode", "nearest")?.as_str() {
        "nearest" => ResizeMode::Nearest,
        "linear" | "bilinear" => ResizeMode::Linear,
        "cubic" => ResizeMode::Cubic,
        m => return Err(cx.n.invalid(format!("unknown mode `{m}`"))),
    })
}

/// Resize-10 / Upsample: output = floor(input × scale), asymmetric coordinates, nearest rounds down.
fn v10_attrs(mode: ResizeMode) -> ResizeAttrs {
    ResizeAttrs {
        mode,
        coord: CoordTransform::Asymmetric,
        nearest: NearestMode::Floor,
        cubic_coeff_a: F32(-0.75),
        exclude_outside: false,
        extrapolation_value: F32(0.0),
        antialias: false,
        keep_aspect: KeepAspect::Stretch,
        axes: None,
    }
}

/// Upsample-7 (scales attribute) and 9 (scales input) as Resize.
fn upsample(cx: &mut Cx) -> Outs {
    let n = cx.n;
    if cx.opset() < 7 {
        return Err(n.unsupported("Upsample-1 (height_scale/width_scale) is not supported"));
    }
    let x = cx.req(0, "X")?;
    let mode = resize_mode(cx)?;
    let scales = match cx.input(1) {
        Some(s) => s,
        None => {
            let v = n.floats("scales")?.ok_or_else(|| n.invalid("missing scales (attribute or input)"))?.to_vec();
            let t = Tensor::from_vec(&[v.len()], v).map_err(|e| n.invalid(e))?;
            cx.konst("scales", t)
        }
    };
    Ok(vec![cx.main1(Op::Resize(v10_attrs(mode)), &[Some(x), None, Some(scales), None])?])
}
