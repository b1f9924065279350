//! The resource metrics API (`metrics.k8s.io`, served by metrics-server through the API
//! server's aggregation layer): each pod's containers' CPU and memory as last scraped from the
//! kubelets. The cluster refreshes it; the autoscalers read it.
use std::collections::BTreeMap;

use super::{ApiServer, Client, Component};
use crate::api::Key;

/// One container's use in a `PodMetrics` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerMetrics {
    pub name: String,
    pub cpu_milli: u64,
    /// The working set, in bytes.
    pub memory: u64,
}

impl ApiServer {
    /// metrics-server's latest scrape: the containers of every pod.
    pub fn set_pod_metrics(&mut self, usage: BTreeMap<Key, Vec<ContainerMetrics>>) {
        self.pod_metrics = usage;
    }
}

impl Client<'_> {
    /// `GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods`: CPU millicores by pod.
    pub fn pod_metrics(&mut self, namespace: &str) -> BTreeMap<Key, u64> {
        self.container_metrics(namespace).into_iter().map(|(k, containers)| (k, containers.iter().map(|c| c.cpu_milli).sum())).collect()
    }

    /// The same list, container by container.
    pub fn container_metrics(&mut self, namespace: &str) -> BTreeMap<Key, Vec<ContainerMetrics>> {
        self.api.record(self.who.clone(), Component::ApiServer, "list", format!("pods.metrics.k8s.io/{namespace}"));
        self.api.pod_metrics.iter().filter(|(k, _)| k.namespace == namespace).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}
