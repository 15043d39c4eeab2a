using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReluFast.Moments.Kernels;

namespace ReluFast.Tests.Moments;

public class AlignedBufferTests
{
    /// <summary>
    /// Every buffer starts a page, whatever was allocated before it: two pass workers' tiles at different offsets in their pages ran
    /// 35-40 % apart (AlignedBuffer's remarks). Eight buffers of odd sizes in a row, each aligned only to a cache line, would all
    /// start pages with probability 64^-8.
    /// </summary>
    [Fact]
    public void EveryBufferStartsAPageAndHoldsItsLength()
    {
        foreach (int length in new[] { 1, 7, 100, 5000, 8 * 1024 + 3, 40960 / 8, 3, 65 })
        {
            Check(new AlignedBuffer<double>(length), length);
            Check(new AlignedBuffer<float>(length), length);
        }
    }

    /// <summary>
    /// A buffer of length 0 is the callers' "no buffer" (an accumulator's unused copy, an in-memory pass's blocks): it has no elements
    /// and pins no page for them (the page a non-empty buffer may waste is 4 KB).
    /// </summary>
    [Fact]
    public void AnEmptyBufferHasNoElementsAndPinsNoPage()
    {
        _ = new AlignedBuffer<double>(0); // the type's first use
        long before = GC.GetAllocatedBytesForCurrentThread();
        var empty = new AlignedBuffer<double>(0);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, empty.Span.Length);
        Assert.True(allocated < 1024, $"an empty buffer allocated {allocated} bytes");
    }

    private static void Check<T>(AlignedBuffer<T> buffer, int length) where T : unmanaged
    {
        Span<T> span = buffer.Span;
        Assert.Equal(length, span.Length);
        nint address;
        unsafe { address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)); }
        Assert.Equal(0, address % AlignedBuffer<T>.Alignment);
        foreach (T value in span) Assert.Equal(default, value);
    }
}
