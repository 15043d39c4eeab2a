namespace ReluFast.Learning;

/// <summary>Marks the mode check's progress reports (<see cref="LearningProgress.ModeCheck"/>) before passing them on.</summary>
internal sealed class ModeCheckProgress(IProgress<LearningProgress> inner) : IProgress<LearningProgress>
{
    public void Report(LearningProgress value) => inner.Report(value with { ModeCheck = true });
}
