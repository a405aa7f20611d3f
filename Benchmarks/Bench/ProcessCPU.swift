import Foundation

/// CPU time used by processes, read from `/proc/<pid>/stat` (user + system, in clock ticks of 10 ms).
/// Sampled before and after a run, it says where the machine's cores went.
struct ProcessCPU {
    /// Seconds of CPU used so far by one process (threads included).
    static func seconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Seconds of CPU used so far by every process whose command is `name` (Postgres runs one per connection).
    static func seconds(ofCommand name: String) -> Double {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).reduce(0) { total, pid in
            let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return command == name ? total + seconds(of: pid) : total
        }
    }

    /// CPU seconds per named part, read now.
    static func sample(_ parts: [(String, () -> Double)]) -> [(String, Double)] {
        parts.map { ($0.0, $0.1()) }
    }
}
