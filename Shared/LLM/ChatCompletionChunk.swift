/// The parts of an OpenAI-style streamed chunk (or whole response) that Tutorline reads.
///
/// Dialects met in the wild, and how they are read: a chunk with no `choices` (usage only, sent
/// last with `stream_options.include_usage`); `reasoning_content` deltas (vLLM, DeepSeek), which
/// are the model's thinking, not its answer, and are not shown; an `error` object in place of a
/// chunk (a provider failing mid-answer).
struct ChatCompletionChunk: Decodable {
    struct Choice: Decodable {
        struct Content: Decodable {
            var content: String?
        }

        var delta: Content?
        var message: Content?
        var finish_reason: String?
    }

    struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
    }

    struct Failure: Decodable {
        var message: String?
    }

    var choices: [Choice]
    var usage: Usage?
    var error: Failure?

    enum CodingKeys: String, CodingKey {
        case choices, usage, error
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        choices = try container.decodeIfPresent([Choice].self, forKey: .choices) ?? []
        usage = try container.decodeIfPresent(Usage.self, forKey: .usage)
        error = try? container.decodeIfPresent(Failure.self, forKey: .error)
    }
}
