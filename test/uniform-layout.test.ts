// Uniform layouts (src/resources/uniform-layout.ts): offsets, alignment and size of mixed field
// tables by WGSL's uniform address space rules, checked by hand and by WGSL itself (a compute
// shader on the real GPU reads every component of a struct the writer filled); the struct text;
// subclass extension; that fields cannot overlap; the typed errors; and the tables the materials,
// the shaders and the renderer now share.
import { describe, expect, test } from 'vitest';
import {
  getDefaultDevice, InvalidArgumentError, LineMaterial, Material, MATERIAL_UNIFORM_BYTES, MeshBasicMaterial, MeshPhongMaterial,
  PointsMaterial, readBuffer, setReporter, UniformLayout, UniformValueError, UniformWriter, UnknownUniformFieldError,
  type UniformField, type UniformFields,
} from '../src/index.js';
import { BufferUsage, ShaderStage } from '../src/resources/usage.js';
import { CAMERA_UNIFORMS, OBJECT_UNIFORMS, shaderCode } from '../src/resources/wgsl.js';
import { thrown } from './helpers/common.js';

/** name -> [offset, size, align] of every field. */
function offsets(l: UniformLayout): Record<string, [number, number, number]> {
  return Object.fromEntries(l.fields.map((f) => [f.name, [f.offset, f.size, f.align]]));
}

// Every kind of field, in an order that makes the rules show: a scalar after a vec3 fills its last
// 4 bytes, vec2 aligns to 8, vec3/vec4/mat4/arrays to 16, matrices pad vec3 columns to 16.
const MIXED = {
  a: 'f32', b: 'vec3f', c: 'f32', d: 'vec2f', e: 'mat4x4f', f: 'u32', g: 'array<vec4f, 3>', h: 'vec2u',
  i: 'mat3x3f', j: 'i32', k: 'array<vec3f, 2>', l: 'vec4i', m: 'mat2x2f', n: 'u32', o: 'mat2x3f', p: 'array<mat3x3f, 2>',
} as const satisfies UniformFields;

describe('layout by the WGSL rules (uniform address space)', () => {
  test('a mixed table: each field at the next multiple of its alignment; size rounded to the largest', () => {
    const l = new UniformLayout('Mixed', MIXED);
    expect(offsets(l)).toEqual({
      a: [0, 4, 4],
      b: [16, 12, 16], // vec3 aligns to 16 ...
      c: [28, 4, 4], // ... and a scalar fills its last 4 bytes
      d: [32, 8, 8],
      e: [48, 64, 16],
      f: [112, 4, 4],
      g: [128, 48, 16], // array stride 16
      h: [176, 8, 8],
      i: [192, 48, 16], // three vec3 columns, each padded to 16
      j: [240, 4, 4],
      k: [256, 32, 16], // array<vec3f>: stride 16
      l: [288, 16, 16],
      m: [304, 16, 8], // mat2x2f: two vec2 columns, align 8
      n: [320, 4, 4],
      o: [336, 32, 16],
      p: [368, 96, 16],
    });
    expect([l.byteSize, l.align]).toEqual([464, 16]);
    expect(l.field('i')).toMatchObject({ rows: 3, columns: 3, columnStride: 16, elements: 1, length: 9 });
    expect(l.field('p')).toMatchObject({ rows: 3, columns: 3, columnStride: 16, elements: 2, elementStride: 48, length: 18 });
  });

  test('small structs: size is the end of the last field rounded up to the largest alignment', () => {
    const cases: [UniformFields, number, number][] = [
      [{ x: 'f32' }, 4, 4],
      [{ x: 'f32', y: 'u32', z: 'i32' }, 12, 4],
      [{ x: 'f32', y: 'vec2f' }, 16, 8], // vec2 at 8
      [{ x: 'vec2f', y: 'f32' }, 16, 8], // 12 rounded up to 8
      [{ x: 'vec3f' }, 16, 16], // 12 rounded up to 16
      [{ x: 'vec3f', y: 'f32' }, 16, 16],
      [{ x: 'mat4x4f', y: 'u32' }, 80, 16], // the renderer's Object: 132 -> 144 is the same rule
      [{ x: 'mat3x2f' }, 24, 8],
      [{ x: 'mat4x3f' }, 64, 16],
      [{ x: 'mat2x4f' }, 32, 16],
      [{ x: 'array<mat2x2f, 3>' }, 48, 16],
    ];
    for (const [fields, size, align] of cases) {
      const l = new UniformLayout('S', fields);
      expect([l.byteSize, l.align], JSON.stringify(fields)).toEqual([size, align]);
    }
  });

  test('WGSL agrees: a compute shader reads every component at the offset the writer put it', async () => {
    const device = await getDefaultDevice();
    const l = new UniformLayout('Mixed', MIXED);
    const w = new UniformWriter(l);
    // Distinct values per component, as the u32 bits WGSL will see (f32 via its bit pattern).
    const expected: number[] = [];
    const reads: string[] = [];
    let next = 1;
    for (const f of l.fields) {
      const values = Array.from({ length: f.length }, () => (f.scalar === 'i32' ? -(next++) : next++) + (f.scalar === 'f32' ? 0.25 : 0));
      w.set(f.name, values);
      const bits = f.scalar === 'f32' ? [...new Uint32Array(new Float32Array(values).buffer)]
        : f.scalar === 'i32' ? [...new Uint32Array(new Int32Array(values).buffer)] : values;
      expected.push(...bits);
      for (let e = 0; e < f.elements; e++) {
        for (let c = 0; c < f.columns; c++) {
          for (let r = 0; r < f.rows; r++) {
            const at = `${f.elements > 1 ? `[${e}]` : ''}${f.columns > 1 ? `[${c}]` : ''}${f.rows > 1 ? `[${r}]` : ''}`;
            reads.push(`out[${reads.length}] = bitcast<u32>(u.${f.name}${at});`);
          }
        }
      }
    }
    const code = `${l.wgsl()}
@group(0) @binding(0) var<uniform> u: Mixed;
@group(0) @binding(1) var<storage, read_write> out: array<u32, ${reads.length}>;
@compute @workgroup_size(1) fn main() {
  ${reads.join('\n  ')}
}`;
    const errors: string[] = [];
    const previous = setReporter((context, error) => { errors.push(`${context}: ${String(error)}`); });
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code });
    const layout = device.createBindGroupLayout({
      entries: [
        // minBindingSize: WGSL's own size of the struct; a buffer of byteSize must satisfy it.
        { binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform', minBindingSize: l.byteSize } },
        { binding: 1, visibility: ShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' } });
    const uniform = device.createBuffer({ size: l.byteSize, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    device.queue.writeBuffer(uniform, 0, w.data);
    const out = device.createBuffer({ size: reads.length * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: uniform } }, { binding: 1, resource: { buffer: out } }] }));
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    expect(error?.message ?? null).toBeNull();
    const got = [...new Uint32Array((await readBuffer(out)).buffer)];
    setReporter(previous);
    expect(errors).toEqual([]);
    expect(got).toEqual(expected);
    expect(got).toHaveLength(l.fields.reduce((n, f) => n + f.length, 0));
  });
});

test('WGSL agrees on the size: a binding of byteSize bytes is accepted, 4 bytes fewer refused', async () => {
  const device = await getDefaultDevice();
  // An auto layout's minBindingSize is WGSL's own SizeOf(struct): byteSize must equal it.
  const tables: UniformFields[] = [
    MIXED, { x: 'f32' }, { x: 'f32', y: 'u32', z: 'i32' }, { x: 'vec2f', y: 'f32' }, { x: 'vec3f' }, { x: 'mat4x4f', y: 'u32' },
    { x: 'mat3x2f' }, { x: 'u32', y: 'mat2x2f', z: 'f32' }, { x: 'array<vec3f, 3>', y: 'f32' }, { x: 'vec4f', y: 'vec3u' },
  ];
  for (const fields of tables) {
    const l = new UniformLayout('S', fields);
    const module = device.createShaderModule({ code: `${l.wgsl()}\n@group(0) @binding(0) var<uniform> u: S;\n@compute @workgroup_size(1) fn main() { _ = u; }` });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const buffer = device.createBuffer({ size: l.byteSize + 16, usage: BufferUsage.UNIFORM });
    const bind = async (size: number) => {
      device.pushErrorScope('validation');
      device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer, size } }] });
      return (await device.popErrorScope())?.message ?? null;
    };
    expect(await bind(l.byteSize), l.describe()).toBeNull();
    expect(await bind(l.byteSize - 4), l.describe()).toMatch(/size/i);
    buffer.destroy();
  }
});

describe('WGSL struct text', () => {
  test('one line per field, in declaration order, with the declared types', () => {
    const l = new UniformLayout('Light', { color: 'vec4f', intensity: 'f32', dirs: 'array<vec4f, 2>' });
    expect(l.wgsl()).toBe('struct Light {\n  color: vec4f,\n  intensity: f32,\n  dirs: array<vec4f, 2>,\n};');
    expect(l.describe()).toBe('Light (64 bytes): color: vec4f @0+16, intensity: f32 @16+4, dirs: array<vec4f, 2> @32+32');
  });
});

describe('subclass extension (as pygfx materials extend uniform_type)', () => {
  test('extend appends: the base fields keep their offsets; the new ones follow; the base is unchanged', () => {
    const base = new UniformLayout('Base', { color: 'vec4f', opacity: 'f32' });
    const sub = base.extend('Sub', { size: 'f32', tint: 'vec3f', flag: 'u32' });
    expect(offsets(base)).toEqual({ color: [0, 16, 16], opacity: [16, 4, 4] });
    expect(offsets(sub)).toEqual({ color: [0, 16, 16], opacity: [16, 4, 4], size: [20, 4, 4], tint: [32, 12, 16], flag: [44, 4, 4] });
    expect([base.byteSize, sub.byteSize, sub.structName]).toEqual([32, 48, 'Sub']);
    expect(Object.keys(sub.table)).toEqual(['color', 'opacity', 'size', 'tint', 'flag']);
    expect(base.has('size')).toBe(false);
  });

  test('a subclass cannot redeclare a base field (it would move or retype it)', () => {
    const base = new UniformLayout('Base', { color: 'vec4f', opacity: 'f32' });
    const e = thrown(() => base.extend('Sub', { opacity: 'u32' } as UniformFields));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toBe('uniform Sub: field "opacity" is already declared by Base; a subclass adds new fields only');
  });

  test('the materials: Phong and Points extend Material; every class\'s buffer, shader struct and offsets agree', () => {
    const base = Material.uniformLayout;
    expect(base.wgsl()).toBe('struct Material {\n  color: vec4f,\n  opacity: f32,\n  alphaTest: f32,\n  alphaCompare: u32,\n  clipCount: u32,\n  clipAll: u32,\n  planes: array<vec4f, 8>,\n};');
    expect([base.byteSize, MATERIAL_UNIFORM_BYTES]).toEqual([176, 176]);
    expect(offsets(MeshPhongMaterial.uniformLayout)).toMatchObject({ ...offsets(base), shininess: [176, 4, 4], ambient: [180, 4, 4] });
    expect(offsets(PointsMaterial.uniformLayout)).toMatchObject({ ...offsets(base), size: [176, 4, 4], round: [180, 4, 4] });
    expect([MeshBasicMaterial.uniformLayout, LineMaterial.uniformLayout]).toEqual([base, base]);
    const materials = [new MeshBasicMaterial(), new MeshPhongMaterial(), new PointsMaterial(), new LineMaterial()];
    for (const m of materials) {
      const layout = (m.constructor as typeof Material).uniformLayout;
      expect(m.uniformLayout).toBe(layout);
      expect(m.uniformBuffer.nbytes).toBe(layout.byteSize);
      // The shader of the material's kind declares exactly that struct and binds it.
      const code = shaderCode({ kind: m.kind, hasNormals: false, hasColors: false, indexed: false, lineMode: 'strip', alpha: m.alphaConfig, pass: 'main', materialUniforms: layout });
      expect(code).toContain(layout.wgsl());
      expect(code).toContain(`var<uniform> material: ${layout.structName};`);
    }
    expect([MeshPhongMaterial.uniformLayout.byteSize, PointsMaterial.uniformLayout.byteSize]).toEqual([192, 192]);
  });

  test('material properties land at their fields\' offsets (read back through the layout)', () => {
    const m = new MeshPhongMaterial({ color: [0.1, 0.2, 0.3], opacity: 0.5, alphaTest: 0.25, alphaCompare: '>=', clippingPlanes: [[1, 2, 3, 4]], clippingMode: 'ALL', shininess: 12, ambient: 0.75 });
    const r = new UniformWriter(m.uniformLayout, (m.uniformBuffer.data as Float32Array).buffer as ArrayBuffer);
    expect(r.get('color')).toEqual([...new Float32Array([0.1, 0.2, 0.3, 1])]);
    expect([r.get('opacity'), r.get('alphaTest'), r.get('alphaCompare'), r.get('clipCount'), r.get('clipAll'), r.get('shininess'), r.get('ambient')])
      .toEqual([[0.5], [0.25], [4], [1], [1], [12], [0.75]]);
    expect(r.get('planes')).toEqual([1, 2, 3, 4, ...new Array(28).fill(0)]);
    m.clippingPlanes = [];
    expect(r.get('planes')).toEqual(new Array(32).fill(0));
    const p = new PointsMaterial({ size: 7, round: false });
    const pr = new UniformWriter(p.uniformLayout, (p.uniformBuffer.data as Float32Array).buffer as ArrayBuffer);
    expect([pr.get('size'), pr.get('round')]).toEqual([[7], [0]]);
    p.round = true;
    expect(pr.get('round')).toEqual([1]);
  });

  test('the renderer\'s camera and object uniforms', () => {
    expect(CAMERA_UNIFORMS.wgsl()).toBe('struct Camera {\n  viewProj: mat4x4f,\n  view: mat4x4f,\n  position: vec4f,\n  viewport: vec4f,\n};');
    expect(offsets(CAMERA_UNIFORMS)).toEqual({ viewProj: [0, 64, 16], view: [64, 64, 16], position: [128, 16, 16], viewport: [144, 16, 16] });
    expect(CAMERA_UNIFORMS.byteSize).toBe(160);
    expect(offsets(OBJECT_UNIFORMS)).toEqual({ world: [0, 64, 16], normal: [64, 64, 16], pickId: [128, 4, 4] });
    expect(OBJECT_UNIFORMS.byteSize).toBe(144); // the struct's size rounds 132 up to 16: no padding fields needed
  });
});

describe('fields cannot overlap', () => {
  const TYPES = ['f32', 'u32', 'i32', 'vec2f', 'vec3f', 'vec4u', 'vec2i', 'mat4x4f', 'mat3x3f', 'mat2x2f', 'mat4x2f', 'array<vec4f, 2>', 'array<vec3u, 3>', 'array<mat2x2f, 2>'] as const;

  test('in 200 generated tables every field is aligned, after the previous one, and inside byteSize', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let t = 0; t < 200; t++) {
      const fields: Record<string, (typeof TYPES)[number]> = {};
      const count = 1 + rand(12);
      for (let i = 0; i < count; i++) fields[`f${i}`] = TYPES[rand(TYPES.length)]!;
      const l = new UniformLayout('T', fields);
      let end = 0;
      for (const f of l.fields) {
        expect(f.offset % f.align, `${l.describe()}`).toBe(0);
        expect(f.offset, l.describe()).toBeGreaterThanOrEqual(end);
        expect(f.offset - end, `${l.describe()}: padding less than the alignment`).toBeLessThan(f.align);
        end = f.offset + f.size;
      }
      expect(l.byteSize % l.align).toBe(0);
      expect(l.byteSize - end).toBeLessThan(l.align);
      expect(l.byteSize).toBeGreaterThanOrEqual(end);
    }
  });

  test('writing one field never changes another\'s bytes', () => {
    const l = new UniformLayout('Mixed', MIXED);
    const w = new UniformWriter(l);
    const snapshot = (f: UniformField<keyof typeof MIXED>) => w.get(f.name);
    for (const target of l.fields) {
      const before = l.fields.filter((f) => f !== target).map(snapshot);
      w.set(target.name, Array.from({ length: target.length }, (_, i) => (target.scalar === 'f32' ? 0.5 : 1) + i));
      expect(l.fields.filter((f) => f !== target).map(snapshot), target.name).toEqual(before);
      expect(w.get(target.name)).toEqual(Array.from({ length: target.length }, (_, i) => (target.scalar === 'f32' ? 0.5 : 1) + i));
    }
  });

  test('padding stays untouched: a mat3x3f writes 9 of its 12 floats', () => {
    const l = new UniformLayout('M', { m: 'mat3x3f' });
    const w = new UniformWriter(l);
    new Float32Array(w.data).fill(-1);
    w.set('m', [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...new Float32Array(w.data)]).toEqual([1, 2, 3, -1, 4, 5, 6, -1, 7, 8, 9, -1]);
  });
});

describe('typed errors', () => {
  const l = new UniformLayout('Material', { color: 'vec4f', opacity: 'f32', clipCount: 'u32', offset: 'i32' });
  const w = new UniformWriter(l);

  test('an unknown field name: UnknownUniformFieldError naming the closest field and all of them', () => {
    const e = thrown(() => w.set('opacty' as never, 1));
    expect(e).toBeInstanceOf(UnknownUniformFieldError);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toBe('uniform Material has no field "opacty"; did you mean "opacity"?; its fields: color, opacity, clipCount, offset');
    expect(thrown(() => w.get('zzz' as never)).message).toBe('uniform Material has no field "zzz"; its fields: color, opacity, clipCount, offset');
    expect(thrown(() => l.field('Color' as never))).toBeInstanceOf(UnknownUniformFieldError);
  });

  test('wrong lengths and values: UniformValueError saying what the field takes', () => {
    const cases: [() => unknown, string][] = [
      [() => w.set('color', [1, 0, 0]), 'uniform Material.color (vec4f) takes exactly 4 numbers, got 3'],
      [() => w.set('color', 1), 'uniform Material.color (vec4f) takes exactly 4 numbers, got 1'],
      [() => w.set('opacity', [0.5, 0.5]), 'uniform Material.opacity (f32) takes one number, got 2'],
      [() => w.set('opacity', '0.5' as never), 'uniform Material.opacity (f32) takes a number, got string 0.5'],
      [() => w.set('color', [1, 0, '0', 1] as never), 'uniform Material.color (vec4f): value 2 must be a number, got string 0'],
      [() => w.set('clipCount', -1), 'uniform Material.clipCount (u32): value 0 must be an integer in 0..4294967295, got -1'],
      [() => w.set('clipCount', 1.5), 'uniform Material.clipCount (u32): value 0 must be an integer in 0..4294967295, got 1.5'],
      [() => w.set('clipCount', 2 ** 32), 'uniform Material.clipCount (u32): value 0 must be an integer in 0..4294967295, got 4294967296'],
      [() => w.set('offset', 2 ** 31), 'uniform Material.offset (i32): value 0 must be an integer in -2147483648..2147483647, got 2147483648'],
    ];
    for (const [fn, message] of cases) {
      const e = thrown(fn);
      expect(e, message).toBeInstanceOf(UniformValueError);
      expect(e.message).toBe(message);
    }
    // Limits just inside pass; f32 takes any number (a degenerate matrix is the GPU's business).
    w.set('clipCount', 2 ** 32 - 1);
    w.set('offset', -(2 ** 31));
    w.set('opacity', Infinity);
    expect([w.get('clipCount'), w.get('offset'), w.get('opacity')]).toEqual([[2 ** 32 - 1], [-(2 ** 31)], [Infinity]]);
  });

  test('bad declarations: InvalidArgumentError saying what is allowed', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new UniformLayout('S', { a: 'array<f32, 4>' }), /uniform S\.a: "array<f32, 4>" has an element stride of 4 bytes, but arrays in a uniform buffer need a multiple of 16: use an array of vec4/],
      [() => new UniformLayout('S', { a: 'array<vec2f, 4>' }), /element stride of 8 bytes/],
      [() => new UniformLayout('S', { a: 'array<mat3x2f, 2>' }), /element stride of 24 bytes/],
      [() => new UniformLayout('S', { a: 'array<vec4f, 0>' }), /uniform S\.a: an array needs a length >= 1, got "array<vec4f, 0>"/],
      [() => new UniformLayout('S', { a: 'vec5f' as never }), /uniform S\.a: unknown or unsupported type "vec5f"; allowed: f32, i32, u32, vec2f\.\.vec4f/],
      [() => new UniformLayout('S', { a: 'f64' as never }), /unknown or unsupported type "f64"/],
      [() => new UniformLayout('S', { a: 4 as never }), /uniform S\.a: the type must be a WGSL type string .*, got number 4/],
      [() => new UniformLayout('S', { 0: 'f32' } as never), /uniform S: field name "0" is not a WGSL identifier/],
      [() => new UniformLayout('S', { 'a-b': 'f32' } as never), /field name "a-b" is not a WGSL identifier/],
      [() => new UniformLayout('S', { __a: 'f32' } as never), /field name "__a" is not a WGSL identifier/],
      [() => new UniformLayout('S', {}), /uniform S: a struct needs at least one field/],
      [() => new UniformLayout('1S', { a: 'f32' }), /a uniform struct name must be a WGSL identifier .*, got string 1S/],
      [() => new UniformLayout('S', null as never), /uniform S: fields must be an object of name -> WGSL type, got null/],
      [() => new UniformWriter(l, new ArrayBuffer(16)), /UniformWriter: uniform Material needs an ArrayBuffer of at least 32 bytes, got 16 bytes/],
    ];
    for (const [fn, message] of cases) {
      const e = thrown(fn);
      expect(e, String(message)).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toMatch(message);
    }
  });
});
