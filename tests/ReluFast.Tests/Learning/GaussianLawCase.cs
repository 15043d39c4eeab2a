using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>The benchmarks' gaussian-law sweep case of one seed, so that a test can pin a seed the sweep found.</summary>
internal static class GaussianLawCase
{
    /// <summary>
    /// The sweep's random teacher of <paramref name="seed"/> and its samples: x ~ N(mu, Sigma) with Sigma of condition number
    /// <paramref name="condition"/> (law seed + 300), sample seed + 1000.
    /// </summary>
    public static (ReluNetwork Teacher, TeacherSampleSource<double> Source) Create(int d, int m, long samples, ulong seed,
        double condition = 1000)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
        var law = InputDistribution.Random(d, condition, 1.0, seed + 300);
        return (teacher, new TeacherSampleSource<double>(teacher, samples, seed + 1000, inputs: law));
    }

    /// <summary>
    /// The case of <see cref="Create"/> learned as the sweep learns it (default options, seed <paramref name="seed"/>), on two
    /// threads (a pass's sums, hence the path, do not depend on the thread count: two keep the tests' load the same on every
    /// machine); <paramref name="precision"/> for a path recorded with pass 2's products in the samples' type.
    /// </summary>
    public static (ReluNetwork Teacher, LearningResult Result) Learn(int d, int m, long samples, ulong seed,
        TensorPrecision precision = TensorPrecision.Mixed)
    {
        var (teacher, source) = Create(d, m, samples, seed);
        return (teacher, ReluLearner.Learn(source, new LearnerOptions { Seed = seed, Threads = 2, TensorPrecision = precision }));
    }
}
