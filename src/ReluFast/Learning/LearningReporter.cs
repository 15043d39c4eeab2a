using System.Diagnostics;
using ReluFast.Moments;

namespace ReluFast.Learning;

/// <summary>
/// The progress and log plumbing shared by the learners: keeps the log lines, tracks the current stage and the
/// time spent in it, and forwards everything to the caller's <see cref="IProgress{T}"/>.
/// </summary>
internal sealed class LearningReporter(IProgress<LearningProgress>? progress)
{
    private readonly List<string> _lines = [];
    private readonly List<LearningWarning> _warnings = [];
    private readonly Stopwatch _stageClock = Stopwatch.StartNew();
    private LearningStage _stage = LearningStage.Pilot;

    /// <summary>The log so far.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>The warnings so far, in order.</summary>
    public IReadOnlyList<LearningWarning> Warnings => _warnings;

    /// <summary>Records a finding and reports it under the current stage.</summary>
    public void Log(string line)
    {
        _lines.Add(line);
        progress?.Report(new LearningProgress(_stage, 0, 0, TimeSpan.Zero, line));
    }

    /// <summary>Records a line that was already reported (a line shared by several strategies of one run).</summary>
    public void Record(string line) => _lines.Add(line);

    /// <summary>Records a warning and logs it as "warning: message".</summary>
    public void Warn(LearningWarning warning)
    {
        _warnings.Add(warning);
        Log(warning.ToString());
    }

    /// <summary>Reports progress of <paramref name="stage"/>, restarting the stage clock when the stage changes.</summary>
    public void Report(LearningStage stage, long done, long total, string message)
    {
        if (stage != _stage) { _stage = stage; _stageClock.Restart(); }
        progress?.Report(new LearningProgress(stage, done, total, _stageClock.Elapsed, message));
    }

    /// <summary>Whether anyone listens to the progress reports.</summary>
    public bool Listening => progress is not null;

    /// <summary>An adapter that reports a sample pass's progress as <paramref name="stage"/> (null when nobody listens).</summary>
    public IProgress<SamplePassProgress>? ForPass(LearningStage stage) => progress is null ? null : new PassProgress(progress, stage);

    /// <summary>The time since the last lap, restarting <paramref name="clock"/>.</summary>
    public static TimeSpan Lap(Stopwatch clock)
    {
        var elapsed = clock.Elapsed;
        clock.Restart();
        return elapsed;
    }

    private sealed class PassProgress(IProgress<LearningProgress> progress, LearningStage stage) : IProgress<SamplePassProgress>
    {
        public void Report(SamplePassProgress value) =>
            progress.Report(new LearningProgress(stage, value.SamplesDone, value.SamplesTotal, value.Elapsed, string.Empty));
    }
}
