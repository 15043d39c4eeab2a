using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// A zeroed scratch buffer whose first element starts a page (4096 bytes, so also a cache line and a 512-bit vector): vector loads of
/// padded rows never straddle two cache lines, and two threads' buffers sit at the same offset in their pages. Pinned on the pinned
/// object heap.
/// </summary>
/// <remarks>
/// Aligned to a cache line only, the second of two pass workers created one after the other ran its sample lanes' tile 35-40 %
/// slower than the first while both ran (11.5-12.1 against 15.7-17.5 ns a sample at m = 8, either thread, either core; created in
/// the other order, the other worker was the slow one; neither alone, at any of 24 placements); with the buffers starting pages both
/// took 11.5-12.4 (docs/passes.md, "Page-aligned tiles"). The cause was not found without hardware counters. A buffer takes up to
/// a page more than its length; one of length 0 (a caller's "no buffer") takes none.
/// </remarks>
internal sealed class AlignedBuffer<T> where T : unmanaged
{
    /// <summary>The alignment of the first element, in bytes.</summary>
    internal const int Alignment = 4096;

    private readonly T[] _array;
    private readonly int _offset;

    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        if (length == 0)
        {
            // the callers' "no buffer" (an unused copy, an in-memory source's blocks): no page pinned for it
            _array = [];
            return;
        }
        int size = Unsafe.SizeOf<T>();
        _array = GC.AllocateArray<T>(length + Alignment / size, pinned: true);
        nint address;
        unsafe { address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)); }
        _offset = (int)((Alignment - address % Alignment) % Alignment) / size;
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
