import Configuration
import Foundation
import Logging

/// Reads typed settings from the environment (through swift-configuration), failing with a
/// ``SettingsError`` that names the variable.
public struct SettingsReader: Sendable {
    let config: ConfigReader

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        config = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment))
    }

    private static func key(_ setting: Setting) -> ConfigKey {
        ConfigKey(setting.name.lowercased().split(separator: "_").map(String.init))
    }

    /// The raw value, or the default; `nil` when neither is set (empty counts as set).
    public func string(_ setting: Setting) -> String? {
        config.string(forKey: Self.key(setting), isSecret: setting.isSecret) ?? setting.defaultValue
    }

    /// The value, or the default; fails when neither is set or the value is empty.
    public func required(_ setting: Setting) throws -> String {
        guard let value = string(setting), !value.isEmpty else {
            throw SettingsError(setting.name, "is required")
        }
        return value
    }

    public func int(_ setting: Setting, in range: ClosedRange<Int>) throws -> Int {
        let raw = try required(setting)
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw SettingsError(setting.name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(raw)\"")
        }
        return value
    }

    /// A duration given in (possibly fractional) seconds.
    public func seconds(_ setting: Setting, in range: ClosedRange<Double>) throws -> Duration {
        let raw = try required(setting)
        guard let value = Double(raw.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw SettingsError(setting.name, "must be a number of seconds from \(range.lowerBound) to \(range.upperBound), got \"\(raw)\"")
        }
        return .milliseconds(Int((value * 1000).rounded()))
    }

    /// A comma-separated list; empty items dropped.
    public func list(_ setting: Setting) -> [String] {
        (string(setting) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func logLevel(_ setting: Setting) throws -> Logger.Level {
        let raw = try required(setting).lowercased()
        guard let level = Logger.Level(rawValue: raw) else {
            throw SettingsError(setting.name, "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(raw)\"")
        }
        return level
    }
}
