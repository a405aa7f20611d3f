import Metrics
import Prometheus

/// Process-wide metrics in Prometheus text format.
public enum ServiceMetrics {
    /// Installs Prometheus as the metrics backend; returns the registry `/metrics` serves. Call once.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
