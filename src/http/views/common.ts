import { z } from 'zod';
import type { ItemQty } from '../../domain/model.js';

// The JSON shapes of the contract. Times are ISO 8601 UTC; ids are strings. Each shape is a
// zod schema too, so the OpenAPI document describes exactly what these functions return
// (their return types are the schemas' types, so the two cannot drift apart unnoticed).
// One module per resource, as the routes are; this one holds what they share.

export const isoTime = z.iso.datetime().meta({ description: 'ISO 8601 UTC', examples: ['2026-11-25T20:06:59.327Z'] });
export const count = z.number().int().nonnegative();
export const seatTotal = z.number().int().min(1);
export const seatList = z.array(z.string()).meta({ description: 'seated categories only: the seat ids, in row order, then by number' });

export const iso = (date: Date) => date.toISOString();

export const itemsSchema = z.array(z.object({ category_id: z.string(), qty: z.number().int().min(1) })).min(1);

export const itemsJson = (items: ItemQty[]) => items.map((item) => ({ category_id: item.categoryId, qty: item.qty }));
