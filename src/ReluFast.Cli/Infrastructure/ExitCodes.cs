namespace ReluFast.Cli.Infrastructure;

/// <summary>The exit codes of <c>relufast</c> (README "CLI reference").</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>Bad input: an unusable file, an invalid option or combination of options, too few samples, m &gt; d.</summary>
    public const int BadInput = 1;

    /// <summary>Anything else went wrong (a bug, the machine, a library).</summary>
    public const int Failure = 2;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, the shell convention); nothing was written.</summary>
    public const int Cancelled = 130;
}
