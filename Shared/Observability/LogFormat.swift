import Foundation
import Logging

/// How log lines are written to standard error.
public enum LogFormat: String, Sendable {
    case text
    case json

    /// Installs the process-wide log handler; call once, first thing.
    public func bootstrap(level: Logger.Level) {
        let format = self
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}
