import Foundation

/// A job's file name, written and parsed by hand: every event a replica delivers passes through
/// both (the watcher's name → job, the job → the path to read), and Foundation's `uuidString`
/// and `UUID(uuidString:)` go through `sprintf` and `sscanf` here.
extension Spool {
    private static let hexDigits: StaticString = "0123456789abcdef"
    private static let nameLength = 36 + fileExtension.utf8.count

    static func fileName(for job: UUID) -> String {
        withUnsafeBytes(of: job.uuid) { bytes in
            String(unsafeUninitializedCapacity: nameLength) { buffer in
                let digits = hexDigits.utf8Start
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    buffer[position] = digits[Int(byte >> 4)]
                    buffer[position + 1] = digits[Int(byte & 0x0F)]
                    position += 2
                }
                for byte in fileExtension.utf8 {
                    buffer[position] = byte
                    position += 1
                }
                return position
            }
        }
    }

    /// The job a spool file name belongs to, or `nil` for any other file.
    public static func jobID(fromFileName name: String) -> UUID? {
        var name = name
        return name.withUTF8 { text -> UUID? in
            guard text.count == nameLength, text[36...].elementsEqual(fileExtension.utf8) else { return nil }
            var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let parsed = withUnsafeMutableBytes(of: &uuid) { bytes -> Bool in
                var index = 0
                for byteIndex in 0..<16 {
                    if index == 8 || index == 13 || index == 18 || index == 23 {
                        guard text[index] == UInt8(ascii: "-") else { return false }
                        index += 1
                    }
                    guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return false }
                    bytes[byteIndex] = high << 4 | low
                    index += 2
                }
                return true
            }
            return parsed ? UUID(uuid: uuid) : nil
        }
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
