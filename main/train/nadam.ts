/**
 * Nadam (Adam with Nesterov momentum, Dozat 2016) as a TensorFlow.js optimizer, because tfjs has none.
 *
 * Semantics are those of Keras 2 (`tf.keras.optimizers.Nadam`, optimizer_v2/nadam.py), including its
 * momentum schedule, so that a network trained here follows the paper's Keras training. For step t = 1, 2, …
 *
 *   μ_t      = β1 · (1 − ½ · 0.96^(t · 0.004))               momentum schedule
 *   Π_t      = μ_1 · … · μ_t                                  (Π_0 = 1)
 *   m_t      = β1 · m_{t−1} + (1 − β1) · g
 *   v_t      = β2 · v_{t−1} + (1 − β2) · g²
 *   ĝ        = g / (1 − Π_t)
 *   m̂        = m_t / (1 − Π_{t+1})
 *   v̂        = v_t / (1 − β2^t)
 *   m̄        = (1 − μ_t) · ĝ + μ_{t+1} · m̂
 *   θ_t      = θ_{t−1} − lr · m̄ / (√v̂ + ε)
 *
 * Defaults as Keras: lr 1e−3, β1 0.9, β2 0.999, ε 1e−7. The schedule products are kept in float64 on the
 * JS side (they depend only on t), so only m and v live on the device.
 */
import * as tf from '@tensorflow/tfjs-core';

type NamedTensor = { name: string; tensor: tf.Tensor };

export interface NadamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Keras' `schedule_decay`. */
  scheduleDecay: number;
}

export const NADAM_DEFAULTS: NadamConfig = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  scheduleDecay: 0.004,
};

/** Nadam's state in host memory (exportState / importState). */
export interface NadamState {
  iterations: number;
  /** Π_t of the steps taken. */
  mSchedule: number;
  m: Float32Array[];
  v: Float32Array[];
}

interface Slots {
  m: tf.Variable;
  v: tf.Variable;
}

export class NadamOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'Nadam';
  }

  readonly config: NadamConfig;
  /** Keyed by variable name so that a changing var list never mixes up slots. */
  private readonly slots = new Map<string, Slots>();
  /** Π_t of the steps taken so far. */
  private mSchedule = 1;

  constructor(config: Partial<NadamConfig> = {}) {
    super();
    this.config = { ...NADAM_DEFAULTS, ...config };
  }

  /** A learning-rate schedule sets the rate of the steps that follow (main/train/schedule.ts). */
  setLearningRate(learningRate: number): void {
    this.config.learningRate = learningRate;
  }

  /** μ_t of Keras' momentum schedule. */
  momentumAt(t: number): number {
    return this.config.beta1 * (1 - 0.5 * 0.96 ** (t * this.config.scheduleDecay));
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const pairs: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor])
      : Object.entries(variableGradients);
    const { learningRate, beta1, beta2, epsilon } = this.config;
    const t = this.iterations + 1;
    const muT = this.momentumAt(t);
    const muNext = this.momentumAt(t + 1);
    const scheduleNew = this.mSchedule * muT;
    const scheduleNext = scheduleNew * muNext;
    const gCoef = (1 - muT) / (1 - scheduleNew);
    const mCoef = muNext / (1 - scheduleNext);
    const vCorrection = 1 - beta2 ** t;

    for (const [name, gradient] of pairs) {
      if (gradient == null) continue;
      const value = tf.engine().registeredVariables[name];
      if (!value) throw new Error(`Nadam: no variable named '${name}' is registered.`);
      const slot = this.slotsFor(name, value);
      // Each quantity in a tidy of its own, so that a variable's temporaries are freed as soon as they
      // are used rather than all at the end: for a network whose parameters dominate its memory, one
      // tidy's worth of copies of the largest variable was most of a training step's peak.
      const m = tf.tidy(() => tf.add(tf.mul(slot.m, beta1), tf.mul(gradient, 1 - beta1)));
      slot.m.assign(m);
      const v = tf.tidy(() => tf.add(tf.mul(slot.v, beta2), tf.mul(tf.square(gradient), 1 - beta2)));
      slot.v.assign(v);
      const mBar = tf.tidy(() => tf.add(tf.mul(gradient, gCoef), tf.mul(m, mCoef)));
      const denom = tf.tidy(() => tf.add(tf.sqrt(tf.div(v, vCorrection)), epsilon));
      tf.dispose([m, v]);
      const next = tf.tidy(() => tf.sub(value, tf.mul(tf.div(mBar, denom), learningRate)));
      tf.dispose([mBar, denom]);
      value.assign(next);
      next.dispose();
    }
    this.mSchedule = scheduleNew;
    this.incrementIterations();
  }

  private slotsFor(name: string, value: tf.Variable): Slots {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = tf.tidy(() => ({
        m: tf.zerosLike(value).variable(false),
        v: tf.zerosLike(value).variable(false),
      }));
      this.slots.set(name, slot);
    }
    return slot;
  }

  override dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const ms: NamedTensor[] = [];
    const vs: NamedTensor[] = [];
    for (const [name, s] of this.slots) {
      ms.push({ name: `${name}/m`, tensor: s.m });
      vs.push({ name: `${name}/v`, tensor: s.v });
    }
    return [await this.saveIterations(), ...ms, ...vs];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.dispose();
    this.mSchedule = 1;
    for (let t = 1; t <= this.iterations; t++) this.mSchedule *= this.momentumAt(t);
    const half = rest.length / 2;
    for (let i = 0; i < half; i++) {
      const name = rest[i].name.replace(/\/m$/, '');
      this.slots.set(name, {
        m: rest[i].tensor.variable(false),
        v: rest[half + i].tensor.variable(false),
      });
    }
  }

  /**
   * The optimizer's whole state for an epoch checkpoint: the step count, Π_t as the float64 it is (not
   * recomputed, so a resumed training steps bit for bit as an uninterrupted one) and each variable's
   * slots in the order of `vars`. A variable not yet stepped has zero slots, which is what its first step
   * would start from.
   */
  exportState(vars: readonly tf.Variable[]): NadamState {
    const read = (name: string, which: 'm' | 'v', like: tf.Variable) => {
      const slot = this.slots.get(name);
      return slot ? (slot[which].dataSync() as Float32Array).slice() : new Float32Array(like.size);
    };
    return {
      iterations: this.iterations,
      mSchedule: this.mSchedule,
      m: vars.map((v) => read(v.name, 'm', v)),
      v: vars.map((v) => read(v.name, 'v', v)),
    };
  }

  /** Restores `exportState`'s result onto `vars` (the same network rebuilt: names may differ, order may not). */
  importState(vars: readonly tf.Variable[], state: NadamState): void {
    if (state.m.length !== vars.length || state.v.length !== vars.length)
      throw new Error(
        `Nadam state holds slots for ${state.m.length} variables, the network has ${vars.length}.`,
      );
    this.dispose();
    vars.forEach((variable, i) => {
      for (const slot of [state.m[i], state.v[i]])
        if (slot.length !== variable.size)
          throw new Error(
            `Nadam state: slot ${i} holds ${slot.length} values, variable '${variable.name}' has ${variable.size}.`,
          );
      this.slots.set(
        variable.name,
        tf.tidy(() => ({
          m: tf.tensor(state.m[i], variable.shape, 'float32').variable(false),
          v: tf.tensor(state.v[i], variable.shape, 'float32').variable(false),
        })),
      );
    });
    this.iterations_ = state.iterations;
    this.mSchedule = state.mSchedule;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.config };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config as unknown as Partial<NadamConfig>);
  }
}

tf.serialization.registerClass(NadamOptimizer);
