namespace ReluFast.IO;

/// <summary>
/// Thrown when an input file (or other data source) cannot be used: it is not in the expected
/// format, is truncated, holds an unsupported type or shape, or holds values the learner cannot use.
/// The message names the file (when there is one) and the problem, and is meant to be shown to a
/// user as it is, without a stack trace.
/// </summary>
public sealed class ReluFastDataException : Exception
{
    /// <summary>Creates the exception for a problem with <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file (or source name) the problem is in; <see langword="null"/> when there is none.</param>
    /// <param name="problem">What is wrong, as a sentence without the file name.</param>
    /// <param name="innerException">The lower-level error, if any.</param>
    public ReluFastDataException(string? filePath, string problem, Exception? innerException = null)
        : base(filePath is null ? problem : $"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file (or source name) the problem is in, or <see langword="null"/>.</summary>
    public string? FilePath { get; }

    /// <summary>The problem alone, without the file name.</summary>
    public string Problem { get; }
}
