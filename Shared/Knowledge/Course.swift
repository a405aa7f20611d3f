import Foundation

/// A course: its UUID is what every chunk and job references; the slug and legacy aliases are
/// names clients may use for it.
public struct Course: Sendable, Equatable {
    public var id: UUID
    public var slug: String
    public var title: String
    public var aliases: [String]

    public init(id: UUID, slug: String, title: String, aliases: [String] = []) {
        self.id = id
        self.slug = slug
        self.title = title
        self.aliases = aliases
    }
}
