//! Device profiles (one TOML file per device) and the roofline cost API that passes and the
//! autotuner use to see a device. Empty until the code-generation issue.
