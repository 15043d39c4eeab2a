using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Register tiles of the projection z = U^T x (<see cref="Projection"/>) for one vector width: samples times vectors of output
/// columns, each output the chain of FMAs over the d inputs (one broadcast of x and one load of a row of U per FMA group).
/// </summary>
internal interface IProjectionTiles<T> where T : unmanaged
{
    /// <summary>Output columns per vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>Whether fewer than <see cref="Lanes"/> outputs are dot products of contiguous columns instead of FMA chains.</summary>
    static abstract bool NarrowDots { get; }

    /// <summary>4 samples x 4 vectors of columns.</summary>
    static abstract void Tile4x4(ref T x, nint d, ref T u, nint m, ref T z);

    /// <summary>8 samples x 2 vectors of columns (narrow outputs: each x broadcast feeds two FMAs).</summary>
    static abstract void Tile8x2(ref T x, nint d, ref T u, nint m, ref T z);

    /// <summary>8 samples x 1 vector of columns (narrow outputs).</summary>
    static abstract void Tile8x1(ref T x, nint d, ref T u, nint m, ref T z);

    /// <summary>4 samples x 1 vector of columns.</summary>
    static abstract void Tile4x1(ref T x, nint d, ref T u, nint m, ref T z);

    /// <summary>1 sample x 1 vector of columns.</summary>
    static abstract void Tile1x1(ref T x, nint d, ref T u, nint m, ref T z);
}

/// <summary>The tiles in 512-bit vectors (AVX-512 where .NET prefers that width).</summary>
internal readonly struct Tiles512<T> : IProjectionTiles<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int Lanes => Vector512<T>.Count;

    public static bool NarrowDots => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile4x4(ref T x, nint d, ref T u, nint m, ref T z)
        {
            nuint vl = (nuint)Vector512<T>.Count;
            Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, e0 = default, e1 = default, e2 = default, e3 = default;
            for (nint i = 0; i < d; i++)
            {
                ref T ui = ref Unsafe.Add(ref u, i * m);
                Vector512<T> u0 = Vector512.LoadUnsafe(ref ui), u1 = Vector512.LoadUnsafe(ref ui, vl), u2 = Vector512.LoadUnsafe(ref ui, 2 * vl),
                    u3 = Vector512.LoadUnsafe(ref ui, 3 * vl);
                Vector512<T> t = Vector512.Create(Unsafe.Add(ref x, i));
                a0 = Simd.Fma(t, u0, a0); a1 = Simd.Fma(t, u1, a1); a2 = Simd.Fma(t, u2, a2); a3 = Simd.Fma(t, u3, a3);
                t = Vector512.Create(Unsafe.Add(ref x, d + i));
                b0 = Simd.Fma(t, u0, b0); b1 = Simd.Fma(t, u1, b1); b2 = Simd.Fma(t, u2, b2); b3 = Simd.Fma(t, u3, b3);
                t = Vector512.Create(Unsafe.Add(ref x, 2 * d + i));
                c0 = Simd.Fma(t, u0, c0); c1 = Simd.Fma(t, u1, c1); c2 = Simd.Fma(t, u2, c2); c3 = Simd.Fma(t, u3, c3);
                t = Vector512.Create(Unsafe.Add(ref x, 3 * d + i));
                e0 = Simd.Fma(t, u0, e0); e1 = Simd.Fma(t, u1, e1); e2 = Simd.Fma(t, u2, e2); e3 = Simd.Fma(t, u3, e3);
            }
            a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref z, vl); a2.StoreUnsafe(ref z, 2 * vl); a3.StoreUnsafe(ref z, 3 * vl);
            ref T z1 = ref Unsafe.Add(ref z, m);
            b0.StoreUnsafe(ref z1); b1.StoreUnsafe(ref z1, vl); b2.StoreUnsafe(ref z1, 2 * vl); b3.StoreUnsafe(ref z1, 3 * vl);
            ref T z2 = ref Unsafe.Add(ref z, 2 * m);
            c0.StoreUnsafe(ref z2); c1.StoreUnsafe(ref z2, vl); c2.StoreUnsafe(ref z2, 2 * vl); c3.StoreUnsafe(ref z2, 3 * vl);
            ref T z3 = ref Unsafe.Add(ref z, 3 * m);
            e0.StoreUnsafe(ref z3); e1.StoreUnsafe(ref z3, vl); e2.StoreUnsafe(ref z3, 2 * vl); e3.StoreUnsafe(ref z3, 3 * vl);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile4x1(ref T x, nint d, ref T u, nint m, ref T z)
        {
            Vector512<T> a = default, b = default, c = default, e = default;
            for (nint i = 0; i < d; i++)
            {
                Vector512<T> ui = Vector512.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
                a = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, i)), ui, a);
                b = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, d + i)), ui, b);
                c = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 2 * d + i)), ui, c);
                e = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 3 * d + i)), ui, e);
            }
            a.StoreUnsafe(ref z); b.StoreUnsafe(ref Unsafe.Add(ref z, m));
            c.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); e.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile8x2(ref T x, nint d, ref T u, nint m, ref T z)
        {
            nuint vl = (nuint)Vector512<T>.Count;
            Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<T> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            for (nint i = 0; i < d; i++)
            {
                ref T ui = ref Unsafe.Add(ref u, i * m);
                Vector512<T> u0 = Vector512.LoadUnsafe(ref ui), u1 = Vector512.LoadUnsafe(ref ui, vl), t;
                t = Vector512.Create(Unsafe.Add(ref x, i)); a0 = Simd.Fma(t, u0, a0); b0 = Simd.Fma(t, u1, b0);
                t = Vector512.Create(Unsafe.Add(ref x, d + i)); a1 = Simd.Fma(t, u0, a1); b1 = Simd.Fma(t, u1, b1);
                t = Vector512.Create(Unsafe.Add(ref x, 2 * d + i)); a2 = Simd.Fma(t, u0, a2); b2 = Simd.Fma(t, u1, b2);
                t = Vector512.Create(Unsafe.Add(ref x, 3 * d + i)); a3 = Simd.Fma(t, u0, a3); b3 = Simd.Fma(t, u1, b3);
                t = Vector512.Create(Unsafe.Add(ref x, 4 * d + i)); a4 = Simd.Fma(t, u0, a4); b4 = Simd.Fma(t, u1, b4);
                t = Vector512.Create(Unsafe.Add(ref x, 5 * d + i)); a5 = Simd.Fma(t, u0, a5); b5 = Simd.Fma(t, u1, b5);
                t = Vector512.Create(Unsafe.Add(ref x, 6 * d + i)); a6 = Simd.Fma(t, u0, a6); b6 = Simd.Fma(t, u1, b6);
                t = Vector512.Create(Unsafe.Add(ref x, 7 * d + i)); a7 = Simd.Fma(t, u0, a7); b7 = Simd.Fma(t, u1, b7);
            }
            ref T z0 = ref z;
            a0.StoreUnsafe(ref z0); b0.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a1.StoreUnsafe(ref z0); b1.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a2.StoreUnsafe(ref z0); b2.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a3.StoreUnsafe(ref z0); b3.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a4.StoreUnsafe(ref z0); b4.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a5.StoreUnsafe(ref z0); b5.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a6.StoreUnsafe(ref z0); b6.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a7.StoreUnsafe(ref z0); b7.StoreUnsafe(ref z0, vl);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile8x1(ref T x, nint d, ref T u, nint m, ref T z)
        {
            Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (nint i = 0; i < d; i++)
            {
                Vector512<T> ui = Vector512.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
                a0 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, i)), ui, a0);
                a1 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, d + i)), ui, a1);
                a2 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 2 * d + i)), ui, a2);
                a3 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 3 * d + i)), ui, a3);
                a4 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 4 * d + i)), ui, a4);
                a5 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 5 * d + i)), ui, a5);
                a6 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 6 * d + i)), ui, a6);
                a7 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 7 * d + i)), ui, a7);
            }
            a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref Unsafe.Add(ref z, m));
            a2.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); a3.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
            a4.StoreUnsafe(ref Unsafe.Add(ref z, 4 * m)); a5.StoreUnsafe(ref Unsafe.Add(ref z, 5 * m));
            a6.StoreUnsafe(ref Unsafe.Add(ref z, 6 * m)); a7.StoreUnsafe(ref Unsafe.Add(ref z, 7 * m));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile1x1(ref T x, nint d, ref T u, nint m, ref T z)
        {
            Vector512<T> a = default;
            for (nint i = 0; i < d; i++)
                a = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, i)), Vector512.LoadUnsafe(ref Unsafe.Add(ref u, i * m)), a);
            a.StoreUnsafe(ref z);
        }
}

/// <summary>
/// The tiles in 256-bit vectors (AVX2 machines, and AVX-512 ones where .NET prefers 256 bits). Narrow outputs stay FMA chains
/// (ProjectionTests pins the bits), so these machines and the scalar columns agree exactly.
/// </summary>
internal readonly struct Tiles256<T> : IProjectionTiles<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int Lanes => Vector256<T>.Count;

    public static bool NarrowDots => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile4x4(ref T x, nint d, ref T u, nint m, ref T z)
        {
            nuint vl = (nuint)Vector256<T>.Count;
            Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            Vector256<T> c0 = default, c1 = default, c2 = default, c3 = default, e0 = default, e1 = default, e2 = default, e3 = default;
            for (nint i = 0; i < d; i++)
            {
                ref T ui = ref Unsafe.Add(ref u, i * m);
                Vector256<T> u0 = Vector256.LoadUnsafe(ref ui), u1 = Vector256.LoadUnsafe(ref ui, vl), u2 = Vector256.LoadUnsafe(ref ui, 2 * vl),
                    u3 = Vector256.LoadUnsafe(ref ui, 3 * vl);
                Vector256<T> t = Vector256.Create(Unsafe.Add(ref x, i));
                a0 = Simd.Fma(t, u0, a0); a1 = Simd.Fma(t, u1, a1); a2 = Simd.Fma(t, u2, a2); a3 = Simd.Fma(t, u3, a3);
                t = Vector256.Create(Unsafe.Add(ref x, d + i));
                b0 = Simd.Fma(t, u0, b0); b1 = Simd.Fma(t, u1, b1); b2 = Simd.Fma(t, u2, b2); b3 = Simd.Fma(t, u3, b3);
                t = Vector256.Create(Unsafe.Add(ref x, 2 * d + i));
                c0 = Simd.Fma(t, u0, c0); c1 = Simd.Fma(t, u1, c1); c2 = Simd.Fma(t, u2, c2); c3 = Simd.Fma(t, u3, c3);
                t = Vector256.Create(Unsafe.Add(ref x, 3 * d + i));
                e0 = Simd.Fma(t, u0, e0); e1 = Simd.Fma(t, u1, e1); e2 = Simd.Fma(t, u2, e2); e3 = Simd.Fma(t, u3, e3);
            }
            a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref z, vl); a2.StoreUnsafe(ref z, 2 * vl); a3.StoreUnsafe(ref z, 3 * vl);
            ref T z1 = ref Unsafe.Add(ref z, m);
            b0.StoreUnsafe(ref z1); b1.StoreUnsafe(ref z1, vl); b2.StoreUnsafe(ref z1, 2 * vl); b3.StoreUnsafe(ref z1, 3 * vl);
            ref T z2 = ref Unsafe.Add(ref z, 2 * m);
            c0.StoreUnsafe(ref z2); c1.StoreUnsafe(ref z2, vl); c2.StoreUnsafe(ref z2, 2 * vl); c3.StoreUnsafe(ref z2, 3 * vl);
            ref T z3 = ref Unsafe.Add(ref z, 3 * m);
            e0.StoreUnsafe(ref z3); e1.StoreUnsafe(ref z3, vl); e2.StoreUnsafe(ref z3, 2 * vl); e3.StoreUnsafe(ref z3, 3 * vl);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile4x1(ref T x, nint d, ref T u, nint m, ref T z)
        {
            Vector256<T> a = default, b = default, c = default, e = default;
            for (nint i = 0; i < d; i++)
            {
                Vector256<T> ui = Vector256.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
                a = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, i)), ui, a);
                b = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, d + i)), ui, b);
                c = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 2 * d + i)), ui, c);
                e = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 3 * d + i)), ui, e);
            }
            a.StoreUnsafe(ref z); b.StoreUnsafe(ref Unsafe.Add(ref z, m));
            c.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); e.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile8x2(ref T x, nint d, ref T u, nint m, ref T z)
        {
            nuint vl = (nuint)Vector256<T>.Count;
            Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector256<T> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            for (nint i = 0; i < d; i++)
            {
                ref T ui = ref Unsafe.Add(ref u, i * m);
                Vector256<T> u0 = Vector256.LoadUnsafe(ref ui), u1 = Vector256.LoadUnsafe(ref ui, vl), t;
                t = Vector256.Create(Unsafe.Add(ref x, i)); a0 = Simd.Fma(t, u0, a0); b0 = Simd.Fma(t, u1, b0);
                t = Vector256.Create(Unsafe.Add(ref x, d + i)); a1 = Simd.Fma(t, u0, a1); b1 = Simd.Fma(t, u1, b1);
                t = Vector256.Create(Unsafe.Add(ref x, 2 * d + i)); a2 = Simd.Fma(t, u0, a2); b2 = Simd.Fma(t, u1, b2);
                t = Vector256.Create(Unsafe.Add(ref x, 3 * d + i)); a3 = Simd.Fma(t, u0, a3); b3 = Simd.Fma(t, u1, b3);
                t = Vector256.Create(Unsafe.Add(ref x, 4 * d + i)); a4 = Simd.Fma(t, u0, a4); b4 = Simd.Fma(t, u1, b4);
                t = Vector256.Create(Unsafe.Add(ref x, 5 * d + i)); a5 = Simd.Fma(t, u0, a5); b5 = Simd.Fma(t, u1, b5);
                t = Vector256.Create(Unsafe.Add(ref x, 6 * d + i)); a6 = Simd.Fma(t, u0, a6); b6 = Simd.Fma(t, u1, b6);
                t = Vector256.Create(Unsafe.Add(ref x, 7 * d + i)); a7 = Simd.Fma(t, u0, a7); b7 = Simd.Fma(t, u1, b7);
            }
            ref T z0 = ref z;
            a0.StoreUnsafe(ref z0); b0.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a1.StoreUnsafe(ref z0); b1.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a2.StoreUnsafe(ref z0); b2.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a3.StoreUnsafe(ref z0); b3.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a4.StoreUnsafe(ref z0); b4.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a5.StoreUnsafe(ref z0); b5.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a6.StoreUnsafe(ref z0); b6.StoreUnsafe(ref z0, vl); z0 = ref Unsafe.Add(ref z0, m);
            a7.StoreUnsafe(ref z0); b7.StoreUnsafe(ref z0, vl);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile8x1(ref T x, nint d, ref T u, nint m, ref T z)
        {
            Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (nint i = 0; i < d; i++)
            {
                Vector256<T> ui = Vector256.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
                a0 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, i)), ui, a0);
                a1 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, d + i)), ui, a1);
                a2 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 2 * d + i)), ui, a2);
                a3 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 3 * d + i)), ui, a3);
                a4 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 4 * d + i)), ui, a4);
                a5 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 5 * d + i)), ui, a5);
                a6 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 6 * d + i)), ui, a6);
                a7 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 7 * d + i)), ui, a7);
            }
            a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref Unsafe.Add(ref z, m));
            a2.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); a3.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
            a4.StoreUnsafe(ref Unsafe.Add(ref z, 4 * m)); a5.StoreUnsafe(ref Unsafe.Add(ref z, 5 * m));
            a6.StoreUnsafe(ref Unsafe.Add(ref z, 6 * m)); a7.StoreUnsafe(ref Unsafe.Add(ref z, 7 * m));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile1x1(ref T x, nint d, ref T u, nint m, ref T z)
        {
            Vector256<T> a = default;
            for (nint i = 0; i < d; i++)
                a = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, i)), Vector256.LoadUnsafe(ref Unsafe.Add(ref u, i * m)), a);
            a.StoreUnsafe(ref z);
        }
}
