import Foundation

/// A job's file name, written and parsed by hand: every event a replica delivers passes through
/// both (the watcher's name → job, the job → the path to read), and Foundation's `uuidString`
/// and `UUID(uuidString:)` go through `sprintf` and `sscanf` here.
extension Spool {
    static func fileName(for job: UUID) -> String {
        let digits = Array("0123456789abcdef".utf8)
        let bytes = withUnsafeBytes(of: job.uuid) { Array($0) }
        return String(unsafeUninitializedCapacity: 36 + fileExtension.utf8.count) { buffer in
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

    static func job(fromFileName name: String) -> UUID? {
        let text = Array(name.utf8)
        guard text.count == 36 + fileExtension.utf8.count, text[36...].elementsEqual(fileExtension.utf8) else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        var index = 0
        while index < 36 {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard text[index] == UInt8(ascii: "-") else { return nil }
                index += 1
                continue
            }
            guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
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
