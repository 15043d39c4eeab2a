using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Sampling;

internal readonly partial struct CounterGaussian
{
    /// <summary>
    /// One vector width of the generator: a vector of doubles with the operations the Box-Muller step needs, written once over
    /// this interface (<see cref="Run{TLanes}"/>, <see cref="TurnSinCos{TLanes}(TLanes, out TLanes, out TLanes)"/>), as
    /// System.Numerics.Tensors.TensorPrimitives writes its operators once over the vector widths. Comparisons return masks of
    /// all-ones lanes.
    /// </summary>
    private interface ILanes<TSelf> where TSelf : struct, ILanes<TSelf>
    {
        /// <summary>Pairs per vector.</summary>
        static abstract int Count { get; }

        static abstract TSelf Create(double value);

        static abstract TSelf Load(ReadOnlySpan<double> source);

        static abstract void Store(TSelf value, Span<double> destination);

        static abstract TSelf Load(ref double source, int offset);

        static abstract void Store(TSelf value, ref double destination, int offset);

        static abstract TSelf operator +(TSelf left, TSelf right);

        static abstract TSelf operator -(TSelf left, TSelf right);

        static abstract TSelf operator *(TSelf left, TSelf right);

        static abstract TSelf operator &(TSelf left, TSelf right);

        static abstract TSelf operator |(TSelf left, TSelf right);

        static abstract TSelf operator ^(TSelf left, TSelf right);

        /// <summary>To the nearest integer, ties to even (as <see cref="Math.Round(double)"/>).</summary>
        static abstract TSelf Round(TSelf x);

        static abstract TSelf Log(TSelf x);

        static abstract TSelf Sqrt(TSelf x);

        static abstract TSelf Equals(TSelf left, TSelf right);

        static abstract TSelf ConditionalSelect(TSelf mask, TSelf whenSet, TSelf whenClear);

        /// <summary>Uniform pairs: u1 from counters c, c + 2, ..., u2 from c + 1, c + 3, ... of the stream at <paramref name="origin"/>.</summary>
        static abstract void Uniforms(ulong origin, ulong firstCounter, out TSelf u1, out TSelf u2);

        /// <summary>Writes (a0, b0, a1, b1, ...): 2 <see cref="Count"/> values.</summary>
        static abstract void StoreInterleaved(TSelf a, TSelf b, ref double destination);
    }

    /// <summary>512-bit vectors (AVX-512 machines).</summary>
    private readonly struct Lanes512 : ILanes<Lanes512>
    {
        private readonly Vector512<double> _v;

        private Lanes512(Vector512<double> v) => _v = v;

        public static int Count => Vector512<double>.Count;

        public static Lanes512 Create(double value) => new(Vector512.Create(value));

        public static Lanes512 Load(ReadOnlySpan<double> source) => new(Vector512.Create(source));

        public static void Store(Lanes512 value, Span<double> destination) => value._v.CopyTo(destination);

        public static Lanes512 Load(ref double source, int offset) => new(Vector512.LoadUnsafe(ref source, (nuint)offset));

        public static void Store(Lanes512 value, ref double destination, int offset) =>
            value._v.StoreUnsafe(ref destination, (nuint)offset);

        public static Lanes512 operator +(Lanes512 left, Lanes512 right) => new(left._v + right._v);

        public static Lanes512 operator -(Lanes512 left, Lanes512 right) => new(left._v - right._v);

        public static Lanes512 operator *(Lanes512 left, Lanes512 right) => new(left._v * right._v);

        public static Lanes512 operator &(Lanes512 left, Lanes512 right) => new(left._v & right._v);

        public static Lanes512 operator |(Lanes512 left, Lanes512 right) => new(left._v | right._v);

        public static Lanes512 operator ^(Lanes512 left, Lanes512 right) => new(left._v ^ right._v);

        public static Lanes512 Round(Lanes512 x) => new(Vector512.Round(x._v));

        public static Lanes512 Log(Lanes512 x) => new(Vector512.Log(x._v));

        public static Lanes512 Sqrt(Lanes512 x) => new(Vector512.Sqrt(x._v));

        public static Lanes512 Equals(Lanes512 left, Lanes512 right) => new(Vector512.Equals(left._v, right._v));

        public static Lanes512 ConditionalSelect(Lanes512 mask, Lanes512 whenSet, Lanes512 whenClear) =>
            new(Vector512.ConditionalSelect(mask._v, whenSet._v, whenClear._v));

        // origin + (c + k) Golden as the scalar origin + c Golden and the constants k Golden (wrapping), without vector multiplies
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Uniforms(ulong origin, ulong firstCounter, out Lanes512 u1, out Lanes512 u2)
        {
            var state = Vector512.Create(unchecked(origin + firstCounter * Golden));
            u1 = new(ToUnit(Mix(state + unchecked(Vector512.Create(0UL, 2 * Golden, 4 * Golden, 6 * Golden, 8 * Golden, 10 * Golden,
                12 * Golden, 14 * Golden)))));
            u2 = new(ToUnit(Mix(state + unchecked(Vector512.Create(Golden, 3 * Golden, 5 * Golden, 7 * Golden, 9 * Golden, 11 * Golden,
                13 * Golden, 15 * Golden)))));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreInterleaved(Lanes512 a, Lanes512 b, ref double destination)
        {
            var low = Vector512.Create(0L, 0, 1, 1, 2, 2, 3, 3);
            var high = Vector512.Create(4L, 4, 5, 5, 6, 6, 7, 7);
            var odd = Vector512.Create(0L, -1, 0, -1, 0, -1, 0, -1).AsDouble();
            Vector512.ConditionalSelect(odd, Vector512.Shuffle(b._v, low), Vector512.Shuffle(a._v, low)).StoreUnsafe(ref destination);
            Vector512.ConditionalSelect(odd, Vector512.Shuffle(b._v, high), Vector512.Shuffle(a._v, high))
                .StoreUnsafe(ref destination, (nuint)Vector512<double>.Count);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> Mix(Vector512<ulong> z)
        {
            z = (z ^ Vector512.ShiftRightLogical(z, 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ Vector512.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
            return z ^ Vector512.ShiftRightLogical(z, 31);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<double> ToUnit(Vector512<ulong> bits) => Vector512.FusedMultiplyAdd(
            Vector512.ConvertToDouble(Vector512.ShiftRightLogical(bits, 11)), Vector512.Create(TwoToMinus53), Vector512.Create(TwoToMinus54));
    }

    /// <summary>256-bit vectors (AVX2 machines, and AVX-512 ones where .NET prefers 256 bits).</summary>
    private readonly struct Lanes256 : ILanes<Lanes256>
    {
        private readonly Vector256<double> _v;

        private Lanes256(Vector256<double> v) => _v = v;

        public static int Count => Vector256<double>.Count;

        public static Lanes256 Create(double value) => new(Vector256.Create(value));

        public static Lanes256 Load(ReadOnlySpan<double> source) => new(Vector256.Create(source));

        public static void Store(Lanes256 value, Span<double> destination) => value._v.CopyTo(destination);

        public static Lanes256 Load(ref double source, int offset) => new(Vector256.LoadUnsafe(ref source, (nuint)offset));

        public static void Store(Lanes256 value, ref double destination, int offset) =>
            value._v.StoreUnsafe(ref destination, (nuint)offset);

        public static Lanes256 operator +(Lanes256 left, Lanes256 right) => new(left._v + right._v);

        public static Lanes256 operator -(Lanes256 left, Lanes256 right) => new(left._v - right._v);

        public static Lanes256 operator *(Lanes256 left, Lanes256 right) => new(left._v * right._v);

        public static Lanes256 operator &(Lanes256 left, Lanes256 right) => new(left._v & right._v);

        public static Lanes256 operator |(Lanes256 left, Lanes256 right) => new(left._v | right._v);

        public static Lanes256 operator ^(Lanes256 left, Lanes256 right) => new(left._v ^ right._v);

        public static Lanes256 Round(Lanes256 x) => new(Vector256.Round(x._v));

        public static Lanes256 Log(Lanes256 x) => new(Vector256.Log(x._v));

        public static Lanes256 Sqrt(Lanes256 x) => new(Vector256.Sqrt(x._v));

        public static Lanes256 Equals(Lanes256 left, Lanes256 right) => new(Vector256.Equals(left._v, right._v));

        public static Lanes256 ConditionalSelect(Lanes256 mask, Lanes256 whenSet, Lanes256 whenClear) =>
            new(Vector256.ConditionalSelect(mask._v, whenSet._v, whenClear._v));

        // The hash in 64-bit lanes: AVX2 has neither the multiply nor the conversion to double; .NET emulates both, still faster
        // than the scalar hash (docs/passes.md).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Uniforms(ulong origin, ulong firstCounter, out Lanes256 u1, out Lanes256 u2)
        {
            var state = Vector256.Create(unchecked(origin + firstCounter * Golden));
            u1 = new(ToUnit(Mix(state + unchecked(Vector256.Create(0UL, 2 * Golden, 4 * Golden, 6 * Golden)))));
            u2 = new(ToUnit(Mix(state + unchecked(Vector256.Create(Golden, 3 * Golden, 5 * Golden, 7 * Golden)))));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreInterleaved(Lanes256 a, Lanes256 b, ref double destination)
        {
            var low = Vector256.Create(0L, 0, 1, 1);
            var high = Vector256.Create(2L, 2, 3, 3);
            var odd = Vector256.Create(0L, -1, 0, -1).AsDouble();
            Vector256.ConditionalSelect(odd, Vector256.Shuffle(b._v, low), Vector256.Shuffle(a._v, low)).StoreUnsafe(ref destination);
            Vector256.ConditionalSelect(odd, Vector256.Shuffle(b._v, high), Vector256.Shuffle(a._v, high))
                .StoreUnsafe(ref destination, (nuint)Vector256<double>.Count);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<ulong> Mix(Vector256<ulong> z)
        {
            z = (z ^ Vector256.ShiftRightLogical(z, 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ Vector256.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
            return z ^ Vector256.ShiftRightLogical(z, 31);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<double> ToUnit(Vector256<ulong> bits) => Fma.IsSupported
            ? Vector256.FusedMultiplyAdd(Vector256.ConvertToDouble(Vector256.ShiftRightLogical(bits, 11)), Vector256.Create(TwoToMinus53),
                Vector256.Create(TwoToMinus54))
            : (Vector256.ConvertToDouble(Vector256.ShiftRightLogical(bits, 11)) + Vector256.Create(0.5)) * TwoToMinus53;
    }
}
