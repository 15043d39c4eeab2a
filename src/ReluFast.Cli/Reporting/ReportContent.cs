using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;

namespace ReluFast.Cli.Reporting;

/// <summary>Everything a report shows.</summary>
/// <param name="TeacherPath">The true network's file.</param>
/// <param name="ModelPath">The learned model's file.</param>
/// <param name="Teacher">The true network.</param>
/// <param name="Model">The learned model.</param>
/// <param name="Comparison">Model against teacher.</param>
/// <param name="SpectrumSource">Where the samples behind the spectrum came from.</param>
/// <param name="SpectrumRun">The learning run whose T_2 spectrum is shown.</param>
/// <param name="Sweep">The sample sweep, or null when not asked for.</param>
/// <param name="TestInputs">The law of the test samples' x (the teacher's recorded law, or N(0, I)).</param>
internal sealed record ReportContent(string TeacherPath, string ModelPath, ReluNetwork Teacher, ReluNetwork Model, NetworkComparison Comparison,
    string SpectrumSource, LearningResult SpectrumRun, IReadOnlyList<SweepPoint>? Sweep, string TestInputs);
