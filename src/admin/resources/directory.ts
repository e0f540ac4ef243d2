/** The directory collections other than users, one plugin each (STYLE 13). */
import { collectionPlugin, collectionSpec } from './collection.js';

export const huntGroupsPlugin = collectionPlugin(collectionSpec('huntGroups'));
export const timeProfilesPlugin = collectionPlugin(collectionSpec('timeProfiles'));
export const userRightsPlugin = collectionPlugin(collectionSpec('userRights'));
export const trunksPlugin = collectionPlugin(collectionSpec('trunks'));
export const incomingRoutesPlugin = collectionPlugin(collectionSpec('incomingRoutes'));
export const shortCodesPlugin = collectionPlugin(collectionSpec('shortCodes'));
