/**
 * Units carried in types, so a bare number never crosses a module boundary
 * without saying what it measures.
 */
export type Millis = number & { readonly __unit: 'ms' }
export type Bytes = number & { readonly __unit: 'bytes' }
export type Seconds = number & { readonly __unit: 's' }

export const ms = (n: number): Millis => n as Millis
export const bytes = (n: number): Bytes => n as Bytes
export const seconds = (n: number): Seconds => n as Seconds

export const KiB = 1024
export const MiB = 1024 * 1024
