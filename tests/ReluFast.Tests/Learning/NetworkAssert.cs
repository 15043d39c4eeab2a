using ReluFast.Evaluation;
using ReluFast.Model;

namespace ReluFast.Tests.Learning;

/// <summary>Assertions on a learned network against the one it should be (neurons matched by <see cref="NetworkComparison"/>).</summary>
internal static class NetworkAssert
{
    /// <summary>Fails unless the w, a and b errors of <paramref name="learned"/> against <paramref name="expected"/> all lie in
    /// [0, <paramref name="bound"/>] (an unmatched neuron count makes them infinite).</summary>
    public static void Recovered(ReluNetwork learned, ReluNetwork expected, double bound, int testSamples = 10_000)
    {
        var errors = NetworkComparison.Compare(learned, expected, testSamples);
        Assert.InRange(errors.WError, 0, bound);
        Assert.InRange(errors.AError, 0, bound);
        Assert.InRange(errors.BError, 0, bound);
    }
}
