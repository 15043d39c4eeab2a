namespace ReluFast.Cli.Infrastructure;

/// <summary>Progress of the named steps of a command (passes over samples, refinement), for the progress display.</summary>
internal interface IPassProgress
{
    /// <summary>Step <paramref name="pass"/> has done <paramref name="done"/> of <paramref name="total"/> units of <paramref name="unit"/> (null: not
    /// a rate worth showing) in <paramref name="elapsed"/>.</summary>
    void Report(string pass, string? unit, long done, long total, TimeSpan elapsed);
}
