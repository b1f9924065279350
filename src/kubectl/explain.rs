//! `kubectl explain`.
use super::Args;

pub fn explain(_args: &Args) -> Result<String, String> {
    Err("error: You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.".to_string())
}
