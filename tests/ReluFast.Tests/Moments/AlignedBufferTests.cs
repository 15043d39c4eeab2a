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

    [Fact]
    public void AnEmptyBufferHasNoElements() => Assert.Equal(0, new AlignedBuffer<double>(0).Span.Length);

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
