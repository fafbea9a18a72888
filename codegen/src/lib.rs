//! Native code generation from the IR (MLIR via melior, LLVM via inkwell): the only crate that
//! links LLVM/MLIR. Empty until the code-generation issue; present so the layout is fixed.
