/// A setting that stops the process at start: the variable's name and what is wrong with it.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public var variable: String
    public var problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}
