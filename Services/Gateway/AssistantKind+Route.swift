import Hummingbird
import Jobs

extension AssistantKind {
    /// A route of this assistant: its prefix (``routePrefix``) and `path`, so that every address
    /// of an assistant comes from one place.
    func route(_ path: String) -> RouterPath {
        RouterPath(routePrefix + path)
    }
}
