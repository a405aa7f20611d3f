import Foundation

/// Runs `body`; a ``SettingsError`` stops the process with one line naming the variable and exit code 2.
public func exitOnSettingsError<T>(_ body: () throws -> T) rethrows -> T {
    do {
        return try body()
    } catch let error as SettingsError {
        exitWith(error)
    }
}

/// Runs `body`; a ``SettingsError`` stops the process with one line naming the variable and exit code 2.
public func exitOnSettingsError<T>(_ body: () async throws -> T) async rethrows -> T {
    do {
        return try await body()
    } catch let error as SettingsError {
        exitWith(error)
    }
}

/// Prints the settings error as one line on standard error and exits with status 2.
public func exitWith(_ error: SettingsError) -> Never {
    let program = (CommandLine.arguments.first as NSString?)?.lastPathComponent ?? "tutorline"
    FileHandle.standardError.write(Data("\(program): configuration error: \(error)\n".utf8))
    exit(2)
}
