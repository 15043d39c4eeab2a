using ReluFast.Model;

namespace ReluFast.Tests.Native;

/// <summary>
/// The per-batch call a .NET host (or the C ABI's relufast_network_evaluate_*) makes in a loop,
/// <see cref="ReluNetwork.Evaluate(ReadOnlySpan{double}, Span{double})"/>, allocates nothing once warm.
/// </summary>
public class EvaluateAllocationTests
{
    private static ReluNetwork Network(bool linear) =>
        linear
            ? RandomTeacher.Create(new TeacherOptions(12, 5), 3).WithLinearPart(0.5, Enumerable.Range(0, 12).Select(i => 0.1 * i).ToArray())
            : RandomTeacher.Create(new TeacherOptions(12, 5), 3);

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 1000)]
    [InlineData(true, 777)]
    public void DoubleBatchesAllocateNothingAfterWarmUp(bool linear, int n)
    {
        var net = Network(linear);
        var x = new double[n * net.InputDim];
        var y = new double[n];
        for (int i = 0; i < x.Length; i++) x[i] = Math.Sin(0.1 * i);
        net.Evaluate(x, y); // warm-up: builds the cached parameters, JITs, fills the array pool
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int rep = 0; rep < 50; rep++) net.Evaluate(x, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(net.Evaluate(x.AsSpan(0, net.InputDim)), y[0], 12);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 1000)]
    [InlineData(true, 777)]
    public void FloatBatchesAllocateNothingAfterWarmUp(bool linear, int n)
    {
        var net = Network(linear);
        var x = new float[n * net.InputDim];
        var y = new float[n];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(0.1f * i);
        net.Evaluate(x, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int rep = 0; rep < 50; rep++) net.Evaluate(x, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        double reference = net.Evaluate(Array.ConvertAll(x[..net.InputDim], v => (double)v));
        Assert.Equal(reference, y[0], 4);
    }
}
