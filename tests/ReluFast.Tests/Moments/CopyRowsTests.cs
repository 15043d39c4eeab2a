using ReluFast.Moments.Kernels;

namespace ReluFast.Tests.Moments;

/// <summary>
/// <see cref="Simd.CopyRows{T}"/> (the padded tiles of narrow rows) copies each row's entries and nothing else: every length
/// from 1 to 40 takes its mix of 512-, 256-, 128-bit vectors and single entries, and the padding after each row keeps its value.
/// </summary>
public class CopyRowsTests
{
    [Fact]
    public void EachRowIsCopiedAndThePaddingIsLeftAlone()
    {
        for (int length = 1; length <= 40; length++)
        {
            Check<double>(length);
            Check<float>(length);
        }
    }

    private static void Check<T>(int length) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int Count = 5;
        int stride = length + 7;
        var from = new T[Count * length];
        for (int i = 0; i < from.Length; i++) from[i] = T.CreateTruncating(i + 1);
        var to = new T[Count * stride];
        to.AsSpan().Fill(T.NegativeOne);
        Simd.CopyRows<T>(from, length, Count, to, stride);
        for (int k = 0; k < Count; k++)
            for (int j = 0; j < stride; j++)
                Assert.Equal(j < length ? from[k * length + j] : T.NegativeOne, to[k * stride + j]);
        Assert.Throws<ArgumentException>(() => Simd.CopyRows<T>(from, length, Count, to.AsSpan(0, (Count - 1) * stride + length - 1), stride));
    }
}
