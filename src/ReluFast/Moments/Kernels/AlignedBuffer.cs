using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// A zeroed scratch buffer whose first element is 64-byte aligned (one cache line, one 512-bit vector), so
/// vector loads of padded rows never straddle two cache lines. Pinned on the pinned object heap.
/// </summary>
internal sealed class AlignedBuffer<T> where T : unmanaged
{
    private readonly T[] _array;
    private readonly int _offset;

    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int size = Unsafe.SizeOf<T>();
        _array = GC.AllocateArray<T>(length + 64 / size, pinned: true);
        nint address;
        unsafe { address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)); }
        _offset = (int)((64 - address % 64) % 64) / size;
        Length = length;
    }

    public int Length { get; }

    public Span<T> Span => _array.AsSpan(_offset, Length);

    /// <summary>
    /// A row stride for rows of <paramref name="columns"/> elements (padded to whole vectors) that is an odd
    /// number of cache lines, so consecutive rows fall in different L1 sets: with a power-of-two stride a tile
    /// of rows would use only a fraction of the sets and evict itself.
    /// </summary>
    public static int ConflictFreeStride(int columns)
    {
        int perLine = 64 / Unsafe.SizeOf<T>();
        int lines = (columns + perLine - 1) / perLine;
        if (lines > 1 && lines % 2 == 0) lines++;
        return lines * perLine;
    }
}
