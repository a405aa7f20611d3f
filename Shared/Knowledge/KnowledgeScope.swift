import Foundation

/// Which body of material a search runs over.
public enum KnowledgeScope: Sendable, Equatable, Hashable {
    /// One course's lessons, for the tutor.
    case course(UUID)
    /// The landing pages (catalog, pricing, FAQ), for the guide.
    case landing

    /// The scope as stored beside each lesson and chunk.
    public var key: String {
        switch self {
        case .course(let id): id.uuidString.lowercased()
        case .landing: "landing"
        }
    }
}
