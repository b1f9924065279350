//! The resource metrics API (`metrics.k8s.io`, served by metrics-server through the API
//! server's aggregation layer): each pod's CPU use as last scraped from the kubelets. The
//! cluster refreshes it; the HorizontalPodAutoscaler controller reads it.
use std::collections::BTreeMap;

use super::{ApiServer, Client, Component};
use crate::api::Key;

impl ApiServer {
    /// metrics-server's latest scrape: CPU millicores by pod.
    pub fn set_pod_metrics(&mut self, cpu_milli: BTreeMap<Key, u64>) {
        self.pod_metrics = cpu_milli;
    }
}

impl Client<'_> {
    /// `GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods`: CPU millicores by pod.
    pub fn pod_metrics(&mut self, namespace: &str) -> BTreeMap<Key, u64> {
        self.api.record(self.who.clone(), Component::ApiServer, "list", format!("pods.metrics.k8s.io/{namespace}"));
        self.api.pod_metrics.iter().filter(|(k, _)| k.namespace == namespace).map(|(k, v)| (k.clone(), *v)).collect()
    }
}
