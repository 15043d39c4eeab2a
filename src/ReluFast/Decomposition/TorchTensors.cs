using TorchSharp;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>Copies between row-major double arrays and float64 libtorch tensors on the CPU.</summary>
internal static class TorchTensors
{
    public static Tensor Matrix(ReadOnlySpan<double> values, int rows, int columns)
    {
        if (values.Length != rows * columns) throw new ArgumentException($"Expected {rows} x {columns} values, got {values.Length}.");
        return tensor(values.ToArray(), [rows, columns], dtype: float64);
    }

    public static Tensor Vector(ReadOnlySpan<double> values) => tensor(values.ToArray(), [values.Length], dtype: float64);

    public static double[] ToArray(Tensor t) => t.to_type(float64).contiguous().cpu().data<double>().ToArray();
}
