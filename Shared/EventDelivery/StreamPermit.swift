import Synchronization

/// One admitted stream; its end (the last reference going) frees the place.
public final class StreamPermit: Sendable {
    let admission: StreamAdmission
    let key: String

    init(admission: StreamAdmission, key: String) {
        self.admission = admission
        self.key = key
    }

    deinit { admission.release(key) }
}
