//! `kubectl describe`.
use super::Args;
use crate::Cluster;

pub fn describe(_cluster: &mut Cluster, _args: &Args) -> Result<String, String> {
    Err("error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.".to_string())
}
