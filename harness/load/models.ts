/**
 * Registry of load models by name (k6 registers executor types the same way). To add a model:
 * one file with its config, schema, `validate`, pure plan and `run`, exporting a `LoadModel`,
 * then one line here and one branch in the config union of `ConcurrentTestOptions['load']`.
 */
import { closedModel } from './closed.ts'
import type { ClosedModelConfig, ResolvedClosedModelConfig } from './closed.ts'
import type { LoadModel } from './driver.ts'
import { openModel } from './open.ts'
import type { OpenModelConfig, ResolvedOpenModelConfig } from './open.ts'

/** Any load-model config, as given. */
export type LoadModelConfig = ClosedModelConfig | OpenModelConfig
/** Any load-model config with defaults filled in. */
export type ResolvedLoadModelConfig = ResolvedClosedModelConfig | ResolvedOpenModelConfig

/** Any registered model, seen through the common interface. */
export type AnyLoadModel = LoadModel<ResolvedLoadModelConfig, LoadModelConfig>

export const loadModels = {
  closed: closedModel,
  open: openModel,
} as const

/** Names of the registered models. */
export const loadModelNames = Object.keys(loadModels) as Array<keyof typeof loadModels>

/** The model registered under `name`, or undefined. */
export function getLoadModel(name: unknown): AnyLoadModel | undefined {
  return typeof name === 'string' && Object.hasOwn(loadModels, name)
    ? (loadModels[name as keyof typeof loadModels] as unknown as AnyLoadModel)
    : undefined
}
