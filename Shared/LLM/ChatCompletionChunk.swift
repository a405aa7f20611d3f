/// The parts of an OpenAI-style streamed chunk (or whole response) that Tutorline reads.
struct ChatCompletionChunk: Decodable {
    struct Choice: Decodable {
        struct Content: Decodable {
            var content: String?
        }

        var delta: Content?
        var message: Content?
        var finish_reason: String?
    }

    var choices: [Choice]
}
