export { checkInventoryText, loadInventory, resolveInventoryPath, type LoadedInventory } from './load-inventory.js';
