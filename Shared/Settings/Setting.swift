/// One environment variable a service reads: its name, default and meaning, for `--help`.
public struct Setting: Sendable, Hashable {
    public var name: String
    /// The default as shown in `--help`; `nil` when there is none.
    public var defaultValue: String?
    public var help: String
    /// Secrets are redacted wherever configuration is reported.
    public var isSecret: Bool

    public init(_ name: String, default defaultValue: String?, _ help: String, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
        self.isSecret = secret
    }

    /// The `--help` table of a service's settings.
    public static func helpText(_ settings: [Setting]) -> String {
        let width = (settings.map(\.name.count).max() ?? 0) + 2
        var text = "Environment variables:\n"
        for setting in settings {
            let padded = setting.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let fallback = setting.defaultValue.map { $0.isEmpty ? " (default: empty)" : " (default: \($0))" } ?? ""
            text += "  \(padded)\(setting.help)\(fallback)\n"
        }
        return text
    }
}
