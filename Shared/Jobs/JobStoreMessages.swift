/// Messages every store writes alike.
public enum JobStoreMessages {
    /// The error message of a job whose lease expired once too often.
    public static let workerLost = "The answer could not be finished: its worker stopped responding too many times."
}
