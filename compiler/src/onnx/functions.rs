//! The node list of a graph with calls of model-local functions (`ModelProto.functions`)
//! inlined: formal inputs/outputs renamed to the caller's values, internal values prefixed,
//! attribute references (`ref_attr_name`) resolved, the function's own opset applied.

use super::node::{is_default_domain, OnnxNode};
use super::proto::{AttributeProto, FunctionProto, GraphProto, ModelProto, NodeProto};
use super::ImportError;
use std::borrow::Cow;
use std::collections::HashMap;

/// Deepest nesting of function calls accepted (guards against recursive functions).
const MAX_DEPTH: usize = 16;

/// The graph's nodes with model-local function calls expanded, in file order.
pub fn expand_nodes<'m>(model: &'m ModelProto, graph: &'m GraphProto, opset: i64) -> Result<Vec<OnnxNode<'m>>, ImportError> {
    let funcs: HashMap<(&str, &str, &str), &FunctionProto> =
        model.functions.iter().map(|f| ((f.domain.as_str(), f.name.as_str(), f.overload.as_str()), f)).collect();
    let mut out = Vec::with_capacity(graph.node.len());
    for (i, n) in graph.node.iter().enumerate() {
        let label = if n.name.is_empty() { format!("{}_{i}", n.op_type) } else { n.name.clone() };
        push_node(&funcs, Cow::Borrowed(n), label, opset, 0, &mut out)?;
    }
    Ok(out)
}

fn push_node<'m>(
    funcs: &HashMap<(&str, &str, &str), &'m FunctionProto>,
    n: Cow<'m, NodeProto>,
    label: String,
    opset: i64,
    depth: usize,
    out: &mut Vec<OnnxNode<'m>>,
) -> Result<(), ImportError> {
    let key = (n.domain.as_str(), n.op_type.as_str(), n.overload.as_str());
    let Some(&f) = funcs.get(&key) else {
        let index = out.len();
        out.push(OnnxNode { proto: n, index, label, opset });
        return Ok(());
    };
    if depth >= MAX_DEPTH {
        return Err(ImportError::Invalid(format!(
            "node `{label}`: calls of function `{}` nest deeper than {MAX_DEPTH} (recursive function?)",
            f.name
        )));
    }
    let f_opset = f.opset_import.iter().filter(|o| is_default_domain(&o.domain)).map(|o| o.version).max().unwrap_or(opset);
    // Formal parameter → caller value; anything else internal gets a prefix.
    let mut rename: HashMap<&str, String> = HashMap::new();
    for (i, formal) in f.input.iter().enumerate() {
        rename.insert(formal, n.input.get(i).cloned().unwrap_or_default());
    }
    for (i, formal) in f.output.iter().enumerate() {
        match n.output.get(i) {
            Some(actual) if !actual.is_empty() => {
                rename.insert(formal, actual.clone());
            }
            _ => {}
        }
    }
    let prefix = format!("{label}::");
    let map_name = |s: &String| -> String {
        if s.is_empty() {
            String::new()
        } else {
            rename.get(s.as_str()).cloned().unwrap_or_else(|| format!("{prefix}{s}"))
        }
    };
    for (j, body) in f.node.iter().enumerate() {
        let mut inner = body.clone();
        inner.input = body.input.iter().map(map_name).collect();
        inner.output = body.output.iter().map(map_name).collect();
        inner.attribute = resolve_attributes(&body.attribute, &n.attribute, &f.attribute_proto, &label)?;
        let inner_label = if body.name.is_empty() { format!("{label}/{}_{j}", body.op_type) } else { format!("{label}/{}", body.name) };
        inner.name = inner_label.clone();
        push_node(funcs, Cow::Owned(inner), inner_label, f_opset, depth + 1, out)?;
    }
    Ok(())
}

/// Attributes of a function body node with `ref_attr_name` references replaced by the caller's
/// attribute (or the function's default); references to absent attributes are dropped.
fn resolve_attributes(
    body: &[AttributeProto],
    caller: &[AttributeProto],
    defaults: &[AttributeProto],
    label: &str,
) -> Result<Vec<AttributeProto>, ImportError> {
    let mut out = Vec::with_capacity(body.len());
    for a in body {
        if a.ref_attr_name.is_empty() {
            out.push(a.clone());
            continue;
        }
        let src = caller.iter().find(|c| c.name == a.ref_attr_name).or_else(|| defaults.iter().find(|d| d.name == a.ref_attr_name));
        if let Some(src) = src {
            if a.r#type != 0 && src.r#type != 0 && a.r#type != src.r#type {
                return Err(ImportError::Invalid(format!(
                    "node `{label}`: attribute `{}` refers to `{}` of a different type",
                    a.name, a.ref_attr_name
                )));
            }
            let mut v = src.clone();
            v.name = a.name.clone();
            v.ref_attr_name.clear();
            out.push(v);
        }
    }
    Ok(out)
}
