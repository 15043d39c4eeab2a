namespace ReluFast.IO;

/// <summary>One tensor read from a safetensors file, its values converted to double.</summary>
/// <param name="Name">The tensor's name, e.g. <c>"0.weight"</c>.</param>
/// <param name="DType">The dtype as written in the file, e.g. <c>"F32"</c>.</param>
/// <param name="Shape">The dimensions (row-major).</param>
/// <param name="Values">The elements in row-major order.</param>
/// <param name="DataOffsets">The byte range [begin, end) in the data buffer after the header.</param>
public sealed record SafeTensor(string Name, string DType, IReadOnlyList<long> Shape, double[] Values, (long Begin, long End) DataOffsets);
