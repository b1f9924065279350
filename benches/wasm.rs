//! The model's benchmarks in WebAssembly, in headless Chromium (`make bench`).

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure, Instant};
    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn probe() {
        let start = Instant::now();
        let mut cluster = kubeglass::Cluster::new(kubeglass::ClusterConfig { seed: 1, workers: 10 });
        cluster.advance(1000);
        console_log!("probe_ms {}", start.elapsed().as_secs_f64() * 1000.0);
    }
}

