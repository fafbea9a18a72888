//! Graph import: graph inputs, initializers, nodes (in dependency order, functions inlined) and
//! outputs of an ONNX model become an IR graph; then inference, folding and verification.
//!
//! Conventions:
//! - A graph input that also has an initializer is treated as the constant (the initializer
//!   is its value; ONNX allows overriding it at run time, edgec does not).
//! - Unknown dims become symbols (`dim_param` names, or fresh `?N` when a dim is absent); an
//!   input without a shape (unknown rank) needs `ImportOptions::input_shapes`.
//! - IR node names are the ONNX node names when unique, else `{op_type}_{index}`.

use super::builder::Builder;
use super::functions::expand_nodes;
use super::map::{map_node, Cx};
use super::node::{is_default_domain, OnnxNode};
use super::order::{order_nodes, OrderProblem};
use super::proto::{type_proto, GraphProto, ModelProto, ValueInfoProto};
use super::tensor::{sparse_to_dense, supported_dtype, tensor_from_proto, TensorSource};
use super::{ImportError, ImportOptions, Model, UnsupportedNode};
use ir::{Dim, IrError, TensorType, ValueId};
use std::collections::{HashMap, HashSet};

/// The version of the default-domain opset a model imports.
pub fn default_opset(model: &ModelProto) -> Result<i64, ImportError> {
    if model.ir_version <= 0 {
        return Err(ImportError::Invalid(format!("model has no valid ir_version (got {})", model.ir_version)));
    }
    if model.opset_import.is_empty() {
        return Err(ImportError::Invalid("model has no opset_import".into()));
    }
    let mut v = None;
    for o in &model.opset_import {
        if is_default_domain(&o.domain) {
            if o.version <= 0 {
                return Err(ImportError::Invalid(format!("opset_import of the default domain has version {}", o.version)));
            }
            v = Some(v.map_or(o.version, |x: i64| x.max(o.version)));
        }
    }
    Ok(v.unwrap_or(0))
}

/// How `build` treats problems: stop at the first (import) or collect them (inspect).
pub enum Collect<'c> {
    Stop,
    Into(&'c mut Vec<UnsupportedNode>),
}

impl Collect<'_> {
    fn report(&mut self, node: &str, op_type: &str, err: ImportError) -> Result<(), ImportError> {
        match self {
            Collect::Stop => Err(err),
            Collect::Into(v) => {
                let reason = match err {
                    ImportError::Unsupported { msg, .. } => msg,
                    other => other.to_string(),
                };
                v.push(UnsupportedNode { node: node.into(), op_type: op_type.into(), reason });
                Ok(())
            }
        }
    }

    fn collecting(&self) -> bool {
        matches!(self, Collect::Into(_))
    }
}

/// Import a decoded model: the full pipeline behind `load_model`.
pub fn import_model(model: &ModelProto, src: TensorSource, opts: &ImportOptions) -> Result<Model, ImportError> {
    let opset = default_opset(model)?;
    let graph = model.graph.as_ref().ok_or_else(|| ImportError::Invalid("model has no graph".into()))?;
    let mut b = build(model, graph, opset, src, opts, opts.fold, Collect::Stop)?;
    if opts.fold {
        ir::fold::infer_and_fold(&mut b.g)?;
    } else {
        ir::infer::infer_graph(&mut b.g)?;
    }
    check_declared_outputs(&b, graph)?;
    ir::verify::verify(&b.g)?;
    Ok(Model { graph: b.g, opset, ir_version: model.ir_version, producer: model.producer_name.clone() })
}

/// Build the IR graph (types inferred incrementally where possible, not verified).
pub fn build<'m>(
    model: &'m ModelProto,
    graph: &'m GraphProto,
    opset: i64,
    src: TensorSource<'m>,
    opts: &ImportOptions,
    fold: bool,
    mut collect: Collect,
) -> Result<Builder<'m>, ImportError> {
    let mut b = Builder::new(&graph.name, src, fold);
    let initializers = import_initializers(&mut b, graph, opts, &mut collect)?;
    import_inputs(&mut b, graph, &initializers, opts, &mut collect)?;
    for (name, v) in initializers {
        b.define(&name, v, "an initializer")?;
    }
    let nodes = expand_nodes(model, graph, opset)?;
    let known: HashSet<&str> = graph.input.iter().map(|i| i.name.as_str()).chain(graph.initializer.iter().map(|t| t.name.as_str())).chain(graph.sparse_initializer.iter().filter_map(|s| s.values.as_ref().map(|v| v.name.as_str()))).collect();
    let (order, problems) = order_nodes(&nodes, &known);
    for p in problems {
        match p {
            OrderProblem::Fatal(e) => return Err(e),
            OrderProblem::Node(i, e) => {
                let n = &nodes[i];
                collect.report(&n.label, n.op_type(), e)?;
            }
        }
    }
    let names = node_names(&nodes);
    for i in order {
        let n = &nodes[i];
        import_node(&mut b, n, &names[i], &mut collect)?;
    }
    for o in &graph.output {
        match b.lookup(&o.name) {
            Some(v) => b.g.add_output(o.name.clone(), v)?,
            None if collect.collecting() => {}
            None => {
                return Err(ImportError::Invalid(format!(
                    "graph output `{}` is not a graph input, an initializer or the output of any node",
                    o.name
                )))
            }
        }
    }
    Ok(b)
}

/// IR names for the nodes: their labels (the ONNX name, or `{op_type}_{index}` when unnamed),
/// except that nodes sharing a name get `{op_type}_{index}`.
fn node_names(nodes: &[OnnxNode]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for n in nodes {
        *count.entry(n.label.as_str()).or_default() += 1;
    }
    nodes
        .iter()
        .map(|n| if count.get(n.label.as_str()) == Some(&1) { n.label.clone() } else { format!("{}_{}", n.proto.op_type, n.index) })
        .collect()
}

fn import_node(b: &mut Builder, n: &OnnxNode, ir_name: &str, collect: &mut Collect) -> Result<(), ImportError> {
    let mut ins = Vec::with_capacity(n.proto.input.len());
    let mut missing = None;
    for name in &n.proto.input {
        if name.is_empty() {
            ins.push(None);
        } else {
            match b.lookup(name) {
                Some(v) => ins.push(Some(v)),
                None => {
                    missing = Some(name.clone());
                    break;
                }
            }
        }
    }
    b.asked_untyped = false;
    b.take_emitted();
    if missing.is_some() {
        // The ordering already reported the dangling input (or cycle); only reachable when
        // collecting. Downstream nodes see unknown values.
        define_unknown_outputs(b, n)?;
        return Ok(());
    }
    let base = b.unique_name(ir_name);
    let mut cx = Cx::new(b, n, ins, base);
    let result = map_node(&mut cx).and_then(|outs| {
        if outs.len() < n.used_outputs() {
            Err(n.unsupported(format!(
                "the node has {} outputs, edgec produces only the first {}",
                n.used_outputs(),
                outs.len()
            )))
        } else {
            Ok(outs)
        }
    });
    let emitted = b.take_emitted();
    match result {
        Ok(outs) => {
            if collect.collecting() {
                for e in b.own_inference_errors(&emitted) {
                    if e.is_unsupported() {
                        let msg = match e {
                            IrError::Unsupported { msg, .. } => msg,
                            other => other.to_string(),
                        };
                        collect.report(&n.label, n.op_type(), n.unsupported(format!("shape inference: {msg}")))?;
                        break;
                    }
                }
            }
            for (i, name) in n.proto.output.iter().enumerate() {
                if !name.is_empty() {
                    b.define(name, outs[i], &format!("node `{}`", n.label))?;
                }
            }
        }
        Err(e) => {
            let caused_upstream = b.asked_untyped;
            if !(collect.collecting() && caused_upstream) {
                collect.report(&n.label, n.op_type(), e)?;
            }
            define_unknown_outputs(b, n)?;
        }
    }
    Ok(())
}

/// Placeholders for the outputs of a node that was not imported (inspect mode).
fn define_unknown_outputs(b: &mut Builder, n: &OnnxNode) -> Result<(), ImportError> {
    let why = IrError::Graph(format!("node `{}` ({}) was not imported", n.label, n.op_type()));
    for name in n.proto.output.iter().filter(|o| !o.is_empty()) {
        if b.lookup(name).is_none() {
            let v = b.add_unknown(&format!("{name}?"), why.clone());
            b.define(name, v, "a placeholder")?;
        }
    }
    Ok(())
}

fn import_initializers(
    b: &mut Builder,
    graph: &GraphProto,
    opts: &ImportOptions,
    collect: &mut Collect,
) -> Result<Vec<(String, ValueId)>, ImportError> {
    let _ = opts;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(graph.initializer.len());
    for t in &graph.initializer {
        if t.name.is_empty() {
            return Err(ImportError::Invalid("an initializer has no name".into()));
        }
        if !seen.insert(t.name.as_str()) {
            return Err(ImportError::Invalid(format!("initializer `{}` is defined twice", t.name)));
        }
        let v = match tensor_from_proto(t, &t.name, b.src) {
            Ok(tensor) => b.add_const(&t.name, tensor),
            Err(e) => {
                collect.report(&t.name, "initializer", e)?;
                b.add_unknown(&t.name, IrError::Graph(format!("initializer `{}` was not imported", t.name)))
            }
        };
        out.push((t.name.clone(), v));
    }
    for s in &graph.sparse_initializer {
        let name = s.values.as_ref().map(|v| v.name.clone()).unwrap_or_default();
        if name.is_empty() {
            return Err(ImportError::Invalid("a sparse initializer has no name".into()));
        }
        if !seen.insert(s.values.as_ref().map_or("", |v| v.name.as_str())) {
            return Err(ImportError::Invalid(format!("initializer `{name}` is defined twice")));
        }
        let v = match sparse_to_dense(s, &name, b.src) {
            Ok(tensor) => b.add_const(&name, tensor),
            Err(e) => {
                collect.report(&name, "sparse initializer", e)?;
                b.add_unknown(&name, IrError::Graph(format!("initializer `{name}` was not imported")))
            }
        };
        out.push((name, v));
    }
    Ok(out)
}

fn import_inputs(
    b: &mut Builder,
    graph: &GraphProto,
    initializers: &[(String, ValueId)],
    opts: &ImportOptions,
    collect: &mut Collect,
) -> Result<(), ImportError> {
    let inits: HashMap<&str, ValueId> = initializers.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let mut seen = HashSet::new();
    for name in opts.input_shapes.keys() {
        if !graph.input.iter().any(|i| &i.name == name) {
            return Err(ImportError::Invalid(format!("input_shapes names `{name}`, which is not a graph input")));
        }
    }
    for name in opts.bind_inputs.keys() {
        if !graph.input.iter().any(|i| &i.name == name) {
            return Err(ImportError::Invalid(format!("bind_inputs names `{name}`, which is not a graph input")));
        }
    }
    for vi in &graph.input {
        if vi.name.is_empty() {
            return Err(ImportError::Invalid("a graph input has no name".into()));
        }
        if !seen.insert(vi.name.as_str()) {
            return Err(ImportError::Invalid(format!("graph input `{}` is declared twice", vi.name)));
        }
        if let Some(&c) = inits.get(vi.name.as_str()) {
            // An input with an initializer is the constant; a shape override must agree with it.
            if let (Some(shape), Some(t)) = (opts.input_shapes.get(&vi.name), b.const_value(c)) {
                if t.shape() != shape.as_slice() {
                    return Err(ImportError::Invalid(format!(
                        "input_shapes gives {shape:?} for `{}`, whose initializer has shape {:?}",
                        vi.name,
                        t.shape()
                    )));
                }
            }
            continue;
        }
        if let Some(t) = opts.bind_inputs.get(&vi.name) {
            // Specialised on a value: the input becomes that constant (its declared type must agree).
            let (dtype, dims) = declared_type(vi, "graph input")?;
            if dtype.is_some_and(|d| d != t.dtype()) {
                return Err(ImportError::Invalid(format!(
                    "bind_inputs gives a {} value for graph input `{}`, declared {}",
                    t.dtype(),
                    vi.name,
                    dtype.map(|d| d.to_string()).unwrap_or_default()
                )));
            }
            let fits = |dims: &[Dim]| {
                dims.len() == t.shape().len()
                    && dims.iter().zip(t.shape()).all(|(d, &n)| d.as_static().is_none_or(|s| s == n))
            };
            if dims.as_deref().is_some_and(|d| !fits(d)) {
                return Err(ImportError::Invalid(format!(
                    "bind_inputs gives shape {:?} for graph input `{}`, which does not fit its declared shape",
                    t.shape(),
                    vi.name
                )));
            }
            let v = b.add_const(&vi.name, t.clone());
            b.define(&vi.name, v, "a bound graph input")?;
            continue;
        }
        if b.name_taken(&vi.name) {
            // An initializer const took the name of this input (different value): rename it.
            return Err(ImportError::Invalid(format!("graph input `{}` clashes with another value's name", vi.name)));
        }
        match input_type(vi, opts) {
            Ok(ty) => {
                let v = b.add_input(&vi.name, ty);
                b.define(&vi.name, v, "a graph input")?;
            }
            Err(e) => {
                collect.report(&vi.name, "graph input", e)?;
                let v = b.add_unknown(&vi.name, IrError::Graph(format!("graph input `{}` has no usable type", vi.name)));
                b.define(&vi.name, v, "a graph input")?;
            }
        }
    }
    Ok(())
}

/// The IR type of a graph input, with `opts.input_shapes` applied.
fn input_type(vi: &ValueInfoProto, opts: &ImportOptions) -> Result<TensorType, ImportError> {
    let (dtype, dims) = declared_type(vi, "graph input")?;
    let dtype = dtype.ok_or_else(|| ImportError::Invalid(format!("graph input `{}` has no element type", vi.name)))?;
    if let Some(shape) = opts.input_shapes.get(&vi.name) {
        return Ok(TensorType::fixed(dtype, shape));
    }
    let dims = dims.ok_or_else(|| {
        ImportError::Invalid(format!(
            "graph input `{}` has no shape (unknown rank): give its shape with input_shapes",
            vi.name
        ))
    })?;
    Ok(TensorType::new(dtype, dims))
}

/// Element type and dims a value info declares (None where absent). Non-tensor types are
/// unsupported.
pub fn declared_type(vi: &ValueInfoProto, kind: &str) -> Result<(Option<ir::DType>, Option<Vec<Dim>>), ImportError> {
    let unsupported = |what: &str| ImportError::Unsupported {
        node: vi.name.clone(),
        op_type: kind.into(),
        msg: format!("{what} values are not supported (only tensors)"),
    };
    let Some(tp) = &vi.r#type else { return Ok((None, None)) };
    let t = match &tp.value {
        Some(type_proto::Value::TensorType(t)) => t,
        Some(type_proto::Value::SequenceType(_)) => return Err(unsupported("sequence")),
        Some(type_proto::Value::MapType(_)) => return Err(unsupported("map")),
        Some(type_proto::Value::OptionalType(_)) => return Err(unsupported("optional")),
        Some(type_proto::Value::SparseTensorType(_)) => return Err(unsupported("sparse tensor")),
        None => return Ok((None, None)),
    };
    let dtype = if t.elem_type == 0 { None } else { Some(supported_dtype(t.elem_type, &vi.name, kind)?) };
    let dims = match &t.shape {
        None => None,
        Some(s) => Some(
            s.dim
                .iter()
                .map(|d| {
                    use super::proto::tensor_shape_proto::dimension::Value;
                    match &d.value {
                        Some(Value::DimValue(v)) => usize::try_from(*v).map(Dim::Static).map_err(|_| {
                            ImportError::Invalid(format!("{kind} `{}`: negative dim {v} in its shape", vi.name))
                        }),
                        Some(Value::DimParam(p)) if !p.is_empty() => Ok(Dim::Sym(p.clone())),
                        _ => Ok(Dim::Sym("?".into())),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok((dtype, dims))
}

/// Graph outputs whose declared element type or rank disagrees with inference are errors.
fn check_declared_outputs(b: &Builder, graph: &GraphProto) -> Result<(), ImportError> {
    let outs: HashMap<&str, ValueId> = b.g.outputs().iter().map(|(n, v)| (n.as_str(), *v)).collect();
    for vi in &graph.output {
        let Some(&v) = outs.get(vi.name.as_str()) else { continue };
        let (dtype, dims) = declared_type(vi, "graph output")?;
        let have = b.g.value_type(v);
        if let Some(d) = dtype {
            if d != have.dtype {
                return Err(ImportError::Invalid(format!(
                    "graph output `{}` is declared {} but computes {}",
                    vi.name, d, have.dtype
                )));
            }
        }
        if let Some(dims) = dims {
            if dims.len() != have.rank() {
                return Err(ImportError::Invalid(format!(
                    "graph output `{}` is declared with rank {} but computes {have}",
                    vi.name,
                    dims.len()
                )));
            }
        }
    }
    Ok(())
}
