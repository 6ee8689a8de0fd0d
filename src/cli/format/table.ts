export { renderTable } from '../../report/table.js';
